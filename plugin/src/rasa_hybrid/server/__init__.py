"""Servers of the plugin's own that run beside Rasa: the NLU server."""
