"""When a customer wants a visit: their words to a day, a time, a part of day.

Pure functions, relative to a given ``now``. Handles what customers type:
"tomorrow morning", "next Tuesday afternoon", "the 12th at 3pm", "friday at 9",
"Dec 3 at 10am", "12/3". Other dates go to dateparser.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import dateparser

WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
PARTS_OF_DAY = {
    "morning": (dt.time(6), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(17)),
    "evening": (dt.time(17), dt.time(22)),
    "tonight": (dt.time(17), dt.time(22)),
}
_TIME = re.compile(
    r"\b(?:at\s+|@\s*)?(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?(?=\W|$)"
)
_ORDINAL = re.compile(r"\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b")
_SOONEST = (
    r"\b(asap|as soon as possible|soonest|earliest|any ?time|whenever"
    r"|first available)\b"
)
_WEEKDAY = re.compile(r"\b(?:(next|this|coming)\s+)?(" + "|".join(WEEKDAYS) + r")\b")


@dataclass(frozen=True)
class Wish:
    """A wished visit time; any part may be missing."""

    day: dt.date | None = None
    time: dt.time | None = None
    part_of_day: tuple[dt.time, dt.time] | None = None
    next_week: bool = False
    soonest: bool = False

    @property
    def understood(self) -> bool:
        """Whether anything in the words was a day or a time."""
        return bool(
            self.day or self.time or self.part_of_day or self.next_week or self.soonest
        )


def _time_of(text: str) -> tuple[dt.time | None, str]:
    """An explicit clock time, and the text without it."""
    for match in _TIME.finditer(text):
        hour, minute, meridiem = match.group(1), match.group(2), match.group(3)
        has_at = match.group(0).lstrip().startswith(("at", "@"))
        if not (meridiem or minute or has_at):
            continue  # a bare number is a day of month or a quantity
        hour_value = int(hour)
        if hour_value > 23 or (minute and int(minute) > 59):
            continue
        if meridiem and meridiem.startswith("p") and hour_value < 12:
            hour_value += 12
        elif meridiem and meridiem.startswith("a") and hour_value == 12:
            hour_value = 0
        elif not meridiem and 1 <= hour_value <= 7:
            hour_value += 12  # "at 3" during business hours means 3 pm
        rest = text[: match.start()] + " " + text[match.end() :]
        return dt.time(hour_value, int(minute or 0)), rest
    return None, text


def _day_of(text: str, today: dt.date) -> tuple[dt.date | None, bool]:
    """A day named in the text, and whether "next week" was said."""
    if re.search(r"\bday after tomorrow\b", text):
        return today + dt.timedelta(days=2), False
    if re.search(r"\btomorrow\b", text):
        return today + dt.timedelta(days=1), False
    if re.search(r"\b(today|this afternoon|this morning|tonight)\b", text):
        return today, False
    weekday = _WEEKDAY.search(text)
    if weekday:
        ahead = (WEEKDAYS.index(weekday.group(2)) - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead), False
    ordinal = _ORDINAL.search(text)
    if ordinal and 1 <= int(ordinal.group(1)) <= 31:
        return _next_day_of_month(int(ordinal.group(1)), today), False
    if re.search(r"\bnext week\b", text):
        return None, True
    found = dateparser.parse(
        text,
        languages=["en"],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": dt.datetime.combine(today, dt.time()),
            "DATE_ORDER": "MDY",
            "REQUIRE_PARTS": ["day"],
        },
    )
    return (found.date(), False) if found else (None, False)


def _next_day_of_month(number: int, today: dt.date) -> dt.date | None:
    year, month = today.year, today.month
    for _ in range(3):
        try:
            candidate = dt.date(year, month, number)
        except ValueError:
            candidate = None
        if candidate and candidate >= today:
            return candidate
        month = month % 12 + 1
        year += month == 1
    return None


def parse_wish(text: object, now: dt.datetime) -> Wish:
    """Reads a wished visit time from the customer's words."""
    if not isinstance(text, str) or len(text) > 200:
        return Wish()
    lowered = " ".join(text.casefold().split())
    part = next(
        (
            span
            for word, span in PARTS_OF_DAY.items()
            if re.search(rf"\b{word}\b", lowered)
        ),
        None,
    )
    soonest = bool(re.search(_SOONEST, lowered))
    time, rest = _time_of(lowered)
    day, next_week = _day_of(rest, now.date())
    return Wish(
        day=day, time=time, part_of_day=part, next_week=next_week, soonest=soonest
    )
