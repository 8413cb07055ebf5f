"""The plugin's custom actions, for rasa-sdk's action server.

A host project serves them by importing ``ActionLLMFallback`` from a module of
its own actions package (``rasa-hybrid init`` writes one): rasa-sdk registers
every ``Action`` subclass that is imported.
"""

from rasa_hybrid.actions.llm_fallback import ActionLLMFallback

__all__ = ["ActionLLMFallback"]
