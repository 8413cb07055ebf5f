"""Asks when the visit should be.

Says what was wrong with the last wish, and offers free visits as buttons.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.appointments.scheduling import CHOOSE, visit_label
from actions.store.database import Store, default_store
from actions.store.models import ServiceSlot

logger = logging.getLogger(__name__)

PROBLEM_RESPONSES = {
    "unclear": "utter_appointment_time_unclear",
    "past": "utter_appointment_time_past",
    "closed": "utter_appointment_day_closed",
    "out_of_hours": "utter_appointment_out_of_hours",
    "too_far": "utter_appointment_too_far",
    "taken": "utter_appointment_time_taken",
    "unavailable": "utter_store_unavailable",
}


def slot_buttons(slots: list[ServiceSlot]) -> list[dict[str, str]]:
    """One button per slot; clicking it sends the slot's id to the form."""
    return [
        {
            "title": visit_label(slot.starts_at, slot.ends_at),
            "payload": f'/book_appointment{{"slot_id":"{slot.id}"}}',
        }
        for slot in slots
    ]


class ActionAskAppointmentSlotId(Action):
    """The booking form's question for ``appointment_slot_id``."""

    def __init__(self, store: Callable[[], Store] = default_store) -> None:
        self._store = store

    def name(self) -> str:
        """Rasa calls action_ask_<slot> instead of utter_ask_<slot> when it exists."""
        return "action_ask_appointment_slot_id"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Explains the problem with the last wish, then offers or asks."""
        problem = tracker.get_slot("appointment_problem")
        if problem in PROBLEM_RESPONSES:
            dispatcher.utter_message(response=PROBLEM_RESPONSES[problem])
        ids = [
            int(i)
            for i in tracker.get_slot("appointment_proposals") or []
            if str(i).isdigit()
        ]
        slots: list[ServiceSlot] = []
        if ids:
            try:
                with self._store().session() as session:
                    found = {
                        s.id: s
                        for s in session.query(ServiceSlot).filter(
                            ServiceSlot.id.in_(ids)
                        )
                    }
                    slots = [found[i] for i in ids if i in found]
            except SQLAlchemyError:
                logger.exception("Store unavailable while offering slots")
        if slots:
            response = (
                "utter_appointment_choose"
                if problem == CHOOSE
                else "utter_appointment_offer"
            )
            dispatcher.utter_message(response=response, buttons=slot_buttons(slots))
        else:
            dispatcher.utter_message(response="utter_ask_appointment_slot_id")
        return []
