"""Books the confirmed visit; if someone was faster, offers other times."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.appointments.ask_appointment_slot import slot_buttons
from actions.appointments.clock import local_now
from actions.appointments.scheduling import visit_label
from actions.appointments.slots import BOOKING_SLOTS
from actions.handoff import utc_now
from actions.identity import IDENTITY_SLOTS
from actions.store.database import Store, default_store
from actions.store.repository import SlotTaken, book, free_slots, reschedule
from actions.verification import verified_customer

logger = logging.getLogger(__name__)


class ActionBookAppointment(Action):
    """Writes the booking, within one transaction."""

    def __init__(
        self,
        store: Callable[[], Store] = default_store,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._store = store
        self._clock = clock

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_book_appointment"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Books, or says why not; always leaves the form's slots clean."""
        reset = [SlotSet(slot, None) for slot in (*BOOKING_SLOTS, *IDENTITY_SLOTS)]
        customer = verified_customer(tracker)
        if not customer:
            dispatcher.utter_message(response="utter_identity_locked")
            return reset
        slot_id = tracker.get_slot("appointment_slot_id")
        if not tracker.get_slot("appointment_confirmed") or not slot_id:
            dispatcher.utter_message(response="utter_stopped")
            return reset
        appliance = tracker.get_slot("appliance")
        service = tracker.get_slot("service_type")
        now = local_now(self._clock)
        moving = tracker.get_slot("rescheduling_appointment_id")
        try:
            with self._store().session() as session:
                if moving:
                    visit = reschedule(
                        session, int(customer), int(moving), int(slot_id), now
                    )
                else:
                    visit = book(
                        session, int(customer), int(slot_id), appliance, service, now
                    )
                slot = visit.slot
                details = {
                    "appliance": appliance,
                    "service_type": service,
                    "visit": visit_label(slot.starts_at, slot.ends_at),
                    "technician": slot.technician.name,
                }
        except SlotTaken:
            try:
                with self._store().session() as session:
                    start = now.replace(hour=0, minute=0) + dt.timedelta(days=1)
                    others = free_slots(
                        session, appliance, start, start + dt.timedelta(days=28), 4
                    )
                    buttons = slot_buttons(others)
            except SQLAlchemyError:
                buttons = []
            dispatcher.utter_message(
                response="utter_appointment_slot_just_taken", buttons=buttons
            )
            return [SlotSet(slot, None) for slot in BOOKING_SLOTS]
        except LookupError:
            dispatcher.utter_message(response="utter_no_appointments")
            return [*reset, *self._forget_task()]
        except SQLAlchemyError:
            logger.exception("Store unavailable while booking")
            dispatcher.utter_message(response="utter_store_unavailable")
            return reset
        done = "utter_appointment_rescheduled" if moving else "utter_appointment_booked"
        dispatcher.utter_message(response=done, **details)
        return [*reset, *self._forget_task()]

    @staticmethod
    def _forget_task() -> list[EventType]:
        return [
            SlotSet("appliance", None),
            SlotSet("service_type", None),
            SlotSet("rescheduling_appointment_id", None),
        ]
