"""Guards of the LLM plugin: personal data, input and output checks."""
