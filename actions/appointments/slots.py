"""The booking form's slots, shared by its actions."""

from __future__ import annotations

BOOKING_SLOTS = (
    "appointment_slot_id",
    "appointment_visit",
    "appointment_problem",
    "appointment_proposals",
    "appointment_confirmed",
)
IDENTITY_SLOTS = ("customer_email", "customer_zip")
TASK_SLOTS = ("appliance", "service_type", *IDENTITY_SLOTS, *BOOKING_SLOTS)
