"""Validates the booking form: what, who, when, and the customer's yes."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from typing import Any

from rasa_hybrid.actions.recall import form_starting, recalled_slot
from rasa_hybrid.guards.input import GuardConfigError, refusal_responses
from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.appointments import catalog
from actions.appointments.clock import local_now
from actions.appointments.scheduling import TAKEN, decide, visit_label
from actions.appointments.when import Wish, parse_wish
from actions.handoff import utc_now
from actions.identity import IdentityValidation, identity_slots_needed
from actions.store import seed
from actions.store.database import Store, default_store
from actions.store.repository import (
    free_slot,
    free_slots,
)
from actions.verification import first_text

logger = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"


class ValidateAppointmentForm(IdentityValidation, FormValidationAction):
    """Checks the appliance, service, identity and wished time of a booking."""

    def __init__(
        self,
        store: Callable[[], Store] = default_store,
        clock: Callable[[], Any] = utc_now,
        refusals: Callable[[], Collection[str]] = refusal_responses,
    ) -> None:
        self._store = store
        self._clock = clock
        self._refusals = refusals

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "validate_appointment_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Skips identity once proven; ends the form after three failed checks."""
        return identity_slots_needed(domain_slots, tracker)

    def extract_appliance(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """When the form starts, the appliance named since the last booking."""
        return self._recalled("appliance", tracker, domain)

    def extract_service_type(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict
    ) -> dict[str, Any]:
        """When the form starts, the kind of visit named since the last booking."""
        return self._recalled("service_type", tracker, domain)

    def _recalled(self, slot: str, tracker: Tracker, domain: dict) -> dict[str, Any]:
        if tracker.get_slot(slot) is not None or not form_starting(
            tracker.events, self.form_name()
        ):
            return {}
        try:
            refusals = self._refusals()
        except GuardConfigError:  # the LLM plugin reports it; booking goes on
            logger.exception("Guard rules unreadable; recalling without them")
            refusals = ()
        value = recalled_slot(tracker.events, slot, domain, refusals)
        return {} if value is None else {slot: value}

    def validate_appliance(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """Washer, dryer, dishwasher, refrigerator or oven, by any common name."""
        found = catalog.appliance(first_text(value))
        if found is None:
            dispatcher.utter_message(
                response="utter_appliance_unknown",
                appliances=", ".join(catalog.appliances()),
            )
        return {"appliance": found, "appointment_confirmed": None}

    def validate_service_type(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """Repair, installation or maintenance."""
        found = catalog.service_type(first_text(value))
        if found is None:
            dispatcher.utter_message(response="utter_service_type_unknown")
        return {"service_type": found, "appointment_confirmed": None}

    def validate_appointment_slot_id(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """A slot from a button, or a wish in words matched to the free slots."""
        text = first_text(value)
        appliance = tracker.get_slot("appliance")
        now = local_now(self._clock)
        hours = seed.read()["service_hours"]
        try:
            with self._store().session() as session:
                if text and re.fullmatch(r"\d{1,9}", text.strip()):
                    slot = free_slot(session, int(text), appliance, now)
                    if slot is not None:
                        return self._chosen(slot)
                    # A stale or foreign button: offer the soonest free visits.
                    soonest = decide(
                        Wish(soonest=True), now, hours, self._finder(session, appliance)
                    )
                    return self._rejected(TAKEN, soonest.proposals)
                decision = decide(
                    parse_wish(text, now), now, hours, self._finder(session, appliance)
                )
                if decision.slot_id is not None:
                    return self._chosen(
                        free_slot(session, decision.slot_id, appliance, now)
                    )
                return self._rejected(decision.problem, decision.proposals)
        except SQLAlchemyError:
            logger.exception("Store unavailable while finding a slot")
            return self._rejected(UNAVAILABLE, [])

    def validate_appointment_confirmed(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """Yes books; no asks for another time."""
        if value is True:
            return {"appointment_confirmed": True}
        return {
            "appointment_confirmed": None,
            "appointment_slot_id": None,
            "appointment_visit": None,
            "appointment_problem": None,
            "appointment_proposals": None,
        }

    @staticmethod
    def _finder(session, appliance):
        return lambda start, end, limit: free_slots(
            session, appliance, start, end, limit
        )

    @staticmethod
    def _chosen(slot) -> dict[str, Any]:
        return {
            "appointment_slot_id": str(slot.id),
            "appointment_visit": visit_label(slot.starts_at, slot.ends_at),
            "appointment_problem": None,
            "appointment_proposals": None,
            "appointment_confirmed": None,
        }

    @staticmethod
    def _rejected(problem: str | None, proposals: list[int]) -> dict[str, Any]:
        return {
            "appointment_slot_id": None,
            "appointment_visit": None,
            "appointment_problem": problem,
            "appointment_proposals": [str(p) for p in proposals] or None,
            "appointment_confirmed": None,
        }
