"""The customer's own visits: list them, cancel one, or start moving one.

Always for the verified customer of this conversation; without one, the
identity form runs first and this action runs again after it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.appointments.clock import local_now
from actions.appointments.scheduling import visit_label
from actions.handoff import utc_now
from actions.store.database import Store, default_store
from actions.store.models import Appointment
from actions.store.repository import appointments_of, cancel
from actions.verification import MAX_FAILURES, failures, verified_customer

logger = logging.getLogger(__name__)
REQUESTS = ("list", "cancel", "reschedule")
CHOOSE_RESPONSES = {
    "cancel": "utter_choose_appointment_to_cancel",
    "reschedule": "utter_choose_appointment_to_reschedule",
}


def describe(visit: Appointment) -> str:
    """One visit as a line or a button: ``Tue Dec 1, 8 am-10 am: washer repair``."""
    when = visit_label(visit.slot.starts_at, visit.slot.ends_at)
    return f"{when}: {visit.appliance} {visit.service_type}"


def visit_button(request: str, visit: Appointment) -> dict[str, str]:
    """A button that asks to cancel or move this visit."""
    payload = f'/{request}_appointment{{"appointment_id":"{visit.id}"}}'
    return {"title": describe(visit), "payload": payload}


class ActionManageAppointments(Action):
    """Lists, cancels, or prepares to reschedule the customer's visits."""

    def __init__(
        self,
        store: Callable[[], Store] = default_store,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._store = store
        self._clock = clock

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_manage_appointments"

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Does what was asked, for the verified customer only."""
        request = tracker.get_slot("appointment_request")
        if request not in REQUESTS:
            request = "list"
        customer = verified_customer(tracker)
        if not customer:
            if failures(tracker) >= MAX_FAILURES:
                dispatcher.utter_message(response="utter_identity_locked")
                return [SlotSet("appointment_request", None)]
            return [FollowupAction("identity_form")]
        chosen = tracker.get_slot("appointment_id")
        try:
            with self._store().session() as session:
                visits = appointments_of(session, int(customer), local_now(self._clock))
                if not visits:
                    dispatcher.utter_message(response="utter_no_appointments")
                    return self._done()
                if request == "list":
                    dispatcher.utter_message(
                        response="utter_appointments_list",
                        visits="\n".join(f"- {describe(v)}" for v in visits),
                    )
                    return self._done()
                mine = {str(v.id): v for v in visits}
                if chosen not in mine:
                    dispatcher.utter_message(
                        response=CHOOSE_RESPONSES[request],
                        buttons=[visit_button(request, v) for v in visits],
                    )
                    return [SlotSet("appointment_id", None)]
                visit = mine[chosen]
                if request == "cancel":
                    cancel(session, int(customer), visit.id)
                    dispatcher.utter_message(
                        response="utter_appointment_cancelled", visit=describe(visit)
                    )
                    return self._done()
                return [
                    *self._done(),
                    SlotSet("rescheduling_appointment_id", str(visit.id)),
                    SlotSet("appliance", visit.appliance),
                    SlotSet("service_type", visit.service_type),
                    FollowupAction("appointment_form"),
                ]
        except SQLAlchemyError:
            logger.exception("Store unavailable while managing appointments")
            dispatcher.utter_message(response="utter_store_unavailable")
            return self._done()

    @staticmethod
    def _done() -> list[EventType]:
        return [SlotSet("appointment_request", None), SlotSet("appointment_id", None)]
