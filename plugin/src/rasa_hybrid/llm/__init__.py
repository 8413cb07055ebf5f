"""The LLM plugin: answers open-ended turns with a language model.

It knows nothing about orders or appointments: what it says comes from the
prompt templates (``prompts/``), what it offers from a data file of task
offers, and which model answers from one variable, ``LLM_PROVIDER``. Nothing
heavy happens at import time; models load on first use.
"""
