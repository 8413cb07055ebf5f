"""The booking form's slots, shared by its actions."""

from __future__ import annotations

from actions.identity import IDENTITY_SLOTS

BOOKING_SLOTS = (
    "appointment_slot_id",
    "appointment_visit",
    "appointment_problem",
    "appointment_proposals",
    "appointment_confirmed",
)
# A visit being moved (set when rescheduling), the visit a button named, and
# what the customer asked to do with their visits.
MANAGE_SLOTS = ("rescheduling_appointment_id", "appointment_id", "appointment_request")
TASK_SLOTS = (
    "appliance",
    "service_type",
    *IDENTITY_SLOTS,
    *BOOKING_SLOTS,
    *MANAGE_SLOTS,
)
