"""Customer-care opening hours: who is reachable now, and when they are back.

Pure functions over a schedule read from ``data/support_hours.yml``; the
handoff action turns the result into a domain response.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "support_hours.yml"
WEEKDAYS = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

Window = Optional[tuple[dt.time, dt.time]]  # noqa: UP045 (a runtime alias)


class Availability(NamedTuple):
    """Whether the team is reachable at a moment, in the schedule's time zone."""

    open_now: bool
    closes_at: dt.datetime | None
    opens_at: dt.datetime | None


def _parse_window(day: str, value: Any) -> Window:
    if value is None or str(value).strip().lower() == "closed":
        return None
    try:
        start_text, end_text = str(value).split("-")
        start = dt.time.fromisoformat(start_text.strip())
        end = dt.time.fromisoformat(end_text.strip())
    except ValueError as error:
        raise ValueError(
            f"Support hours for {day}: expected 'HH:MM-HH:MM' or 'closed', "
            f"got {value!r}."
        ) from error
    if start >= end:
        raise ValueError(f"Support hours for {day}: {start} is not before {end}.")
    return start, end


@dataclass(frozen=True)
class SupportHours:
    """A weekly schedule: one opening window (or none) per weekday."""

    timezone: ZoneInfo
    windows: tuple[Window, ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SupportHours:
        """Builds a schedule from ``{timezone: ..., hours: {monday: ...}}``.

        Raises:
            ValueError: the mapping is not a valid schedule.
        """
        if not isinstance(data, Mapping):
            raise ValueError("Support hours must be a mapping.")
        try:
            timezone = ZoneInfo(str(data.get("timezone", "")))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(
                f"Support hours: unknown time zone {data.get('timezone')!r}."
            ) from error
        hours = data.get("hours")
        if not isinstance(hours, Mapping):
            raise ValueError("Support hours: 'hours' must map weekdays to windows.")
        unknown = set(hours) - set(WEEKDAYS)
        if unknown:
            raise ValueError(f"Support hours: unknown weekdays {sorted(unknown)}.")
        windows = tuple(_parse_window(day, hours.get(day)) for day in WEEKDAYS)
        if not any(windows):
            raise ValueError("Support hours: the team is never open.")
        return cls(timezone=timezone, windows=windows)

    @classmethod
    def load(cls, path: Path = DEFAULT_PATH) -> SupportHours:
        """Reads a schedule from a YAML file.

        Raises:
            OSError: the file cannot be read.
            ValueError: the file is not a valid schedule.
        """
        with open(path, encoding="utf-8") as handle:
            try:
                data = yaml.safe_load(handle)
            except yaml.YAMLError as error:
                raise ValueError(f"Support hours: {path} is not YAML.") from error
        return cls.from_mapping(data)


def availability(hours: SupportHours, now: dt.datetime) -> Availability:
    """Tells whether the team is open at ``now`` and until when, or when it opens.

    ``now`` must be timezone-aware; it is converted to the schedule's zone.
    """
    local = now.astimezone(hours.timezone)
    window = hours.windows[local.weekday()]
    if window and window[0] <= local.time() < window[1]:
        closes = dt.datetime.combine(local.date(), window[1], tzinfo=hours.timezone)
        return Availability(open_now=True, closes_at=closes, opens_at=None)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        window = hours.windows[day.weekday()]
        if window is None:
            continue
        opens = dt.datetime.combine(day, window[0], tzinfo=hours.timezone)
        if opens > local:
            return Availability(open_now=False, closes_at=None, opens_at=opens)
    return Availability(open_now=False, closes_at=None, opens_at=None)


def clock_time(moment: dt.datetime) -> str:
    """Formats a time of day as customers read it: ``8 am``, ``5:30 pm``."""
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'am' if moment.hour < 12 else 'pm'}"
