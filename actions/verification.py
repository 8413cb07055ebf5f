"""Who the customer is: the slots that guard orders and appointments."""

from __future__ import annotations

from rasa_sdk import Tracker

MAX_FAILURES = 3
ORDER_SLOTS = ("order_number", "order_verification")


def failures(tracker: Tracker) -> int:
    """Failed identity checks so far in this conversation (orders and visits)."""
    return int(tracker.get_slot("verification_failures") or 0)


def verified_customer(tracker: Tracker) -> str | None:
    """The customer this conversation has proven to be, if any.

    Only the validation action sets this slot (its mapping is custom), so a
    customer cannot fill it by typing.
    """
    value = tracker.get_slot("verified_customer_id")
    return str(value) if value else None


def first_text(value: object) -> str | None:
    """A slot value as one string: the first of a list, None if not text."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) else None
