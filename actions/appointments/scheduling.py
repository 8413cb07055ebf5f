"""From a wished time to a visit slot, or to a reason and a few proposals.

Pure logic over the service hours (data/demo_store.yml) and a function that
lists free slots; the validation action supplies both.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from actions.appointments.when import WEEKDAYS, Wish
from actions.support_hours import clock_time


class Slot(Protocol):
    """What scheduling needs of a service slot."""

    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


FreeSlots = Callable[[dt.datetime, dt.datetime, int], Sequence[Slot]]

UNCLEAR = "unclear"
PAST = "past"
CLOSED = "closed"
OUT_OF_HOURS = "out_of_hours"
TOO_FAR = "too_far"
TAKEN = "taken"
CHOOSE = "choose"


@dataclass(frozen=True)
class Decision:
    """A chosen slot, or why none was chosen and which slots to offer."""

    slot_id: int | None = None
    problem: str | None = None
    proposals: list[int] = field(default_factory=list)


def visit_label(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """A visit window as a button reads: ``Tue Dec 1, 8 am-10 am``."""
    window = f"{clock_time(starts_at)}-{clock_time(ends_at)}"
    return f"{starts_at:%a %b} {starts_at.day}, {window}"


def _windows(hours: dict[str, Any], day: dt.date) -> list[tuple[dt.time, dt.time]]:
    length = dt.timedelta(hours=int(hours["visit_hours"]))
    starts = hours["windows"].get(WEEKDAYS[day.weekday()]) or []
    result = []
    for start in starts:
        begin = dt.datetime.combine(day, dt.time.fromisoformat(start))
        result.append((begin.time(), (begin + length).time()))
    return result


def decide(
    wish: Wish,
    now: dt.datetime,
    hours: dict[str, Any],
    free_slots: FreeSlots,
    offer: int = 4,
) -> Decision:
    """Picks the slot the customer asked for, or explains and proposes others."""
    first_day = now.date() + dt.timedelta(days=1)
    last_day = now.date() + dt.timedelta(days=int(hours["days_ahead"]))

    def from_day(day: dt.date, problem: str) -> Decision:
        start = dt.datetime.combine(max(day, first_day), dt.time())
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
        return Decision(problem=problem, proposals=_ids(free_slots(start, end, offer)))

    if not wish.understood:
        return Decision(problem=UNCLEAR)
    if wish.next_week and not wish.day:
        monday = now.date() + dt.timedelta(days=7 - now.weekday())
        start = dt.datetime.combine(monday, dt.time())
        found = free_slots(start, start + dt.timedelta(days=7), offer)
        return (
            Decision(problem=CHOOSE, proposals=_ids(found))
            if found
            else from_day(monday, CHOOSE)
        )
    day = wish.day or first_day
    if day < now.date():
        return from_day(first_day, PAST)
    if day < first_day:
        return from_day(first_day, PAST)  # same-day visits are not bookable
    if day > last_day:
        return from_day(first_day, TOO_FAR)
    windows = _windows(hours, day)
    if not windows:
        return from_day(day, CLOSED)
    day_start = dt.datetime.combine(day, dt.time())
    if wish.time is not None:
        window = next((w for w in windows if w[0] <= wish.time < w[1]), None)
        if window is None:
            return _within(day_start, free_slots, offer, OUT_OF_HOURS) or from_day(
                day, OUT_OF_HOURS
            )
        start = dt.datetime.combine(day, window[0])
        exact = free_slots(start, start + dt.timedelta(minutes=1), 1)
        if exact:
            return Decision(slot_id=exact[0].id)
        return _within(day_start, free_slots, offer, TAKEN) or from_day(day, TAKEN)
    if wish.part_of_day:
        begin, end = wish.part_of_day
        found = free_slots(
            dt.datetime.combine(day, begin), dt.datetime.combine(day, end), offer
        )
        if found:
            return Decision(problem=CHOOSE, proposals=_ids(found))
    return _within(day_start, free_slots, offer, CHOOSE) or from_day(day, TAKEN)


def _within(
    day_start: dt.datetime, free_slots: FreeSlots, offer: int, problem: str
) -> Decision | None:
    found = free_slots(day_start, day_start + dt.timedelta(days=1), offer)
    return Decision(problem=problem, proposals=_ids(found)) if found else None


def _ids(slots: Sequence[Slot]) -> list[int]:
    return [slot.id for slot in slots]
