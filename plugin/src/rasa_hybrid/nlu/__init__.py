"""Custom NLU components, loaded by the Rasa server (Python 3.10) from config.yml."""
