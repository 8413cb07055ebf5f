"""Providers by name: the plugin's own, and any a host project registers.

A factory takes the settings and returns an ``LLMProvider``. The settings'
``provider`` names one: a registered name (``local``, ``openai``, ``fake``, or
one added with ``register_provider``), or ``module:function``, imported when
the provider is created, so a host project adds its own without editing the
plugin. Nothing heavy is imported here: each built-in factory imports its
implementation when it is called.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rasa_hybrid.llm.settings import LLMSettings
    from rasa_hybrid.providers.base import LLMProvider

ProviderFactory = Callable[["LLMSettings"], "LLMProvider"]


def _local(settings: LLMSettings) -> LLMProvider:
    from rasa_hybrid.providers.local_transformers import LocalTransformersProvider

    return LocalTransformersProvider(
        quantize=settings.local_quantize,
        threads=settings.local_threads,
        engine=settings.local_engine,
    )


def _openai(settings: LLMSettings) -> LLMProvider:
    from rasa_hybrid.providers.openai_compatible import OpenAICompatibleProvider

    return OpenAICompatibleProvider(
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        api_key=settings.openai_api_key,
        context_window=settings.openai_context_window,
    )


def _fake(settings: LLMSettings) -> LLMProvider:
    from rasa_hybrid.providers.fake import FakeProvider

    return FakeProvider.from_file(settings.fake_replies)


_FACTORIES: dict[str, ProviderFactory] = {
    "local": _local,
    "openai": _openai,
    "fake": _fake,
}


class UnknownProviderError(LookupError):
    """No provider has that name, or its ``module:function`` cannot be imported."""


def register_provider(name: str, factory: ProviderFactory) -> None:
    """Makes ``factory`` the provider called ``name`` (replacing one of that name)."""
    if not name or ":" in name:
        raise ValueError(f"A provider name is a plain word, not {name!r}")
    _FACTORIES[name.lower()] = factory


def provider_names() -> tuple[str, ...]:
    """The registered names, built-in ones first."""
    return tuple(_FACTORIES)


def is_known_provider(name: str) -> bool:
    """Whether ``name`` is registered or has the ``module:function`` form."""
    if ":" in name:
        module, _, attribute = name.partition(":")
        return bool(module and attribute)
    return name.lower() in _FACTORIES


def factory_of(name: str) -> ProviderFactory:
    """The factory that ``name`` stands for.

    Raises:
        UnknownProviderError: the name is not registered, or its module or
            function does not exist.
    """
    if ":" not in name:
        try:
            return _FACTORIES[name.lower()]
        except KeyError:
            raise UnknownProviderError(
                f"No provider {name!r}; known: {', '.join(_FACTORIES)}"
            ) from None
    module_name, _, attribute = name.partition(":")
    try:
        found: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise UnknownProviderError(
            f"Provider {name!r} cannot be loaded: {error}"
        ) from None
    if not callable(found):
        raise UnknownProviderError(f"Provider {name!r} is not callable")
    return cast(ProviderFactory, found)


def create_provider(settings: LLMSettings) -> LLMProvider:
    """The provider that ``settings.provider`` names, created from the settings."""
    return factory_of(settings.provider)(settings)
