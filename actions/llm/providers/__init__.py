"""LLM providers: one interface (``base``), one file per implementation.

``create_provider`` picks one from the settings (``LLM_PROVIDER``); each
implementation imports its heavy dependencies only when it is chosen.
"""

from __future__ import annotations

from actions.llm.providers.base import LLMProvider
from actions.llm.settings import LLMSettings


def create_provider(settings: LLMSettings) -> LLMProvider:
    """The provider named by ``settings.provider``."""
    if settings.provider == "fake":
        from actions.llm.providers.fake import FakeProvider

        return FakeProvider.from_file(settings.fake_replies)
    if settings.provider == "openai":
        from actions.llm.providers.openai_compatible import OpenAICompatibleProvider

        return OpenAICompatibleProvider(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key,
            context_window=settings.openai_context_window,
        )
    from actions.llm.providers.local_transformers import LocalTransformersProvider

    return LocalTransformersProvider(
        quantize=settings.local_quantize,
        threads=settings.local_threads,
        engine=settings.local_engine,
    )
