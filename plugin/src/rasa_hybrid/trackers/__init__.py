"""Rasa tracker stores of the project (endpoints.yml)."""
