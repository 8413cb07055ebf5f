"""Proving who the customer is with the email and ZIP code of their account.

A mixin for the forms that need it (booking, managing appointments): it
validates ``customer_email`` and ``customer_zip`` together against the store
and, on success, sets ``verified_customer_id``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.store.database import Store
from actions.store.repository import EMAIL, ZIP_CODE, find_customer
from actions.verification import MAX_FAILURES, failures, first_text, verified_customer

logger = logging.getLogger(__name__)
IDENTITY_SLOTS = ("customer_email", "customer_zip")


def identity_slots_needed(domain_slots: list[str], tracker: Tracker) -> list[str]:
    """The form's slots, less identity once proven; none after three failures."""
    if verified_customer(tracker):
        return [slot for slot in domain_slots if slot not in IDENTITY_SLOTS]
    if failures(tracker) >= MAX_FAILURES:
        return []
    return domain_slots


class IdentityValidation:
    """``validate_customer_email`` and ``validate_customer_zip`` for a form."""

    _store: Callable[[], Store]

    def validate_customer_email(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """An email address, kept until the ZIP code is checked with it."""
        text = first_text(value)
        match = EMAIL.match(text) if text and len(text) <= 254 else None
        if match is None:
            dispatcher.utter_message(response="utter_customer_email_invalid")
            return {"customer_email": None}
        return {"customer_email": match.group(1).casefold()}

    def validate_customer_zip(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict,
    ) -> dict[str, Any]:
        """The ZIP code that, with the email, proves who the customer is."""
        text = first_text(value)
        match = ZIP_CODE.match(text) if text and len(text) <= 20 else None
        if match is None:
            dispatcher.utter_message(response="utter_customer_zip_invalid")
            return {"customer_zip": None}
        email = tracker.get_slot("customer_email") or ""
        try:
            with self._store().session() as session:
                customer = find_customer(session, email, match.group(1))
                customer_id = str(customer.id) if customer else None
        except SQLAlchemyError:
            logger.exception("Store unavailable while checking a customer")
            dispatcher.utter_message(response="utter_store_unavailable")
            return {"customer_zip": None}
        if customer_id:
            return {
                "customer_zip": match.group(1),
                "customer_email": None,  # proven: no need to keep it
                "verified_customer_id": customer_id,
                "verification_failures": 0,
            }
        so_far = failures(tracker) + 1
        if so_far < MAX_FAILURES:
            dispatcher.utter_message(response="utter_identity_failed")
        return {
            "customer_email": None,
            "customer_zip": None,
            "verification_failures": so_far,
        }
