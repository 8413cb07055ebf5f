"""The store's local time: slots are kept as naive times in the company's zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache

from actions.handoff import utc_now
from actions.support_hours import SupportHours


@lru_cache(maxsize=1)
def _zone():
    return SupportHours.load().timezone


def local_now(clock: Callable[[], dt.datetime] = utc_now) -> dt.datetime:
    """Now, as a naive time in the company's time zone."""
    return clock().astimezone(_zone()).replace(tzinfo=None)
