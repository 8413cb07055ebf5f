"""Validates the identity form that guards listing, moving and cancelling visits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.identity import IdentityValidation, identity_slots_needed
from actions.store.database import Store, default_store


class ValidateIdentityForm(IdentityValidation, FormValidationAction):
    """Email and ZIP code of the account, checked together."""

    def __init__(self, store: Callable[[], Store] = default_store) -> None:
        self._store = store

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "validate_identity_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Nothing once proven; nothing more after three failed checks."""
        return identity_slots_needed(domain_slots, tracker)
