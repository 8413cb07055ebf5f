"""Hand the customer over to a person: say how, and whether anyone is there now."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.support_hours import SupportHours, availability, clock_time

logger = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    """The current time, timezone-aware."""
    return dt.datetime.now(dt.timezone.utc)


class ActionHandoff(Action):
    """Gives the customer care contact and tells whether the team is in now."""

    def __init__(
        self,
        clock: Callable[[], dt.datetime] = utc_now,
        load_hours: Callable[[], SupportHours] = SupportHours.load,
    ) -> None:
        self._clock = clock
        self._load_hours = load_hours
        self._hours: SupportHours | None = None

    def name(self) -> str:
        """The action's name in domain.yml."""
        return "action_handoff"

    def _schedule(self) -> SupportHours | None:
        if self._hours is None:
            try:
                self._hours = self._load_hours()
            except (OSError, ValueError):
                logger.exception("Cannot read the support hours; giving contacts only.")
                return None
        return self._hours

    def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        """Chooses the handoff response for now and marks the handoff."""
        events: list[EventType] = [SlotSet("handoff_requested", True)]
        hours = self._schedule()
        if hours is None:
            dispatcher.utter_message(response="utter_handoff")
            return events
        now = self._clock()
        state = availability(hours, now)
        if state.open_now and state.closes_at:
            dispatcher.utter_message(
                response="utter_handoff_open", closes_at=clock_time(state.closes_at)
            )
        elif state.opens_at is None:
            dispatcher.utter_message(response="utter_handoff")
        else:
            today = now.astimezone(hours.timezone).date()
            days_ahead = (state.opens_at.date() - today).days
            opens_at = clock_time(state.opens_at)
            if days_ahead == 0:
                dispatcher.utter_message(
                    response="utter_handoff_closed_today", opens_at=opens_at
                )
            elif days_ahead == 1:
                dispatcher.utter_message(
                    response="utter_handoff_closed_tomorrow", opens_at=opens_at
                )
            else:
                dispatcher.utter_message(
                    response="utter_handoff_closed_later",
                    opens_day=state.opens_at.strftime("%A"),
                    opens_at=opens_at,
                )
        return events
