"""The rasa-hybrid plugin's action for open-ended turns, served by this server.

rasa-sdk registers every ``Action`` subclass imported from this package.
"""

from rasa_hybrid.actions import ActionLLMFallback

__all__ = ["ActionLLMFallback"]
