"""Custom input channels, loaded by the Rasa server (Python 3.10) from credentials.yml."""
