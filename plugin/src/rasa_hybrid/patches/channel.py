"""The credentials.yml entry that installs the patches in the Rasa server.

Rasa 3.6 has no hook for plugins to run code at start; it does construct every
channel named in credentials.yml. ``RasaPatches`` is such an entry with no
routes of its own: naming it there installs ``rasa_hybrid.patches`` (with its
check of the Rasa version), and removing it leaves Rasa as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from rasa_hybrid import patches


class RasaPatches(InputChannel):
    """Installs the plugin's patches of Rasa; serves nothing."""

    @classmethod
    def name(cls) -> str:
        """The entry's name under /webhooks (it has no routes)."""
        return "rasa_hybrid_patches"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RasaPatches:
        """Installs the patches named in ``only`` (all by default).

        Raises:
            UnsupportedRasaError: the installed Rasa is not a supported one.
        """
        names = (credentials or {}).get("only") or patches.PATCHES
        patches.install(names)
        return cls()

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """An empty blueprint: the entry adds no routes."""
        return Blueprint("rasa_hybrid_patches")
