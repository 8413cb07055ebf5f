"""LLM providers: one interface (``base``), one file per implementation.

``create_provider`` picks one by the settings' name (``registry``); each
implementation imports its heavy dependencies only when it is chosen.
"""

from __future__ import annotations

from rasa_hybrid.providers.registry import create_provider, register_provider

__all__ = ["create_provider", "register_provider"]
