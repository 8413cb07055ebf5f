"""What the actions ask of the store: pure queries and writes on a session."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.store.models import (
    BOOKED,
    CANCELLED,
    Appointment,
    Customer,
    Order,
    ServiceSlot,
    Technician,
)

ORDER_NUMBER = re.compile(r"^\s*([A-Za-z])\s*[-\s]?\s*(\d{4})\s*$")
ZIP_CODE = re.compile(r"^\s*(\d{5})(?:-\d{4})?\s*$")
EMAIL = re.compile(r"^\s*([^@\s]+@[^@\s]+\.[^@\s]+)\s*$")


class SlotTaken(Exception):
    """The slot was booked by someone else first."""


def normalize_order_number(text: str | None) -> str | None:
    """``A-1234`` from ``a1234``, ``A 1234``, ``a-1234``; None if not one."""
    if not text or len(text) > 32:
        return None
    match = ORDER_NUMBER.match(text)
    return f"{match.group(1).upper()}-{match.group(2)}" if match else None


def find_order(session: Session, number: str) -> Order | None:
    """The order with this (normalized) number, if any."""
    return session.scalar(select(Order).where(Order.number == number))


def proves_identity(customer: Customer, proof: str | None) -> bool:
    """Whether ``proof`` is the customer's email or ZIP code."""
    if not proof or len(proof) > 254:
        return False
    email = EMAIL.match(proof)
    if email:
        return email.group(1).casefold() == customer.email.casefold()
    zip_code = ZIP_CODE.match(proof)
    return bool(zip_code) and zip_code.group(1) == customer.zip_code


def find_customer(session: Session, email: str, zip_code: str) -> Customer | None:
    """The customer with both this email and this ZIP code, if any."""
    return session.scalar(
        select(Customer).where(
            func.lower(Customer.email) == email.casefold(),
            Customer.zip_code == zip_code,
        )
    )


def free_slot(
    session: Session, slot_id: int, appliance: str, now: dt.datetime
) -> ServiceSlot | None:
    """The slot, if it is in the future, unbooked, and its technician fits."""
    slot = session.get(ServiceSlot, slot_id)
    if slot is None or slot.starts_at <= now:
        return None
    if appliance not in slot.technician.appliances:
        return None
    booked = session.scalar(
        select(Appointment.id).where(
            Appointment.slot_id == slot_id, Appointment.status == BOOKED
        )
    )
    return None if booked else slot


def free_slots(
    session: Session,
    appliance: str,
    earliest: dt.datetime,
    latest: dt.datetime,
    limit: int = 4,
) -> list[ServiceSlot]:
    """Open slots of technicians who work on ``appliance``, soonest first."""
    booked = (
        select(Appointment.id)
        .where(
            and_(Appointment.slot_id == ServiceSlot.id, Appointment.status == BOOKED)
        )
        .exists()
    )
    candidates = session.scalars(
        select(ServiceSlot)
        .join(Technician)
        .where(
            ServiceSlot.starts_at >= earliest, ServiceSlot.starts_at < latest, ~booked
        )
        .order_by(ServiceSlot.starts_at, ServiceSlot.id)
    )
    slots: list[ServiceSlot] = []
    seen_starts = set()
    for slot in candidates:
        # JSON columns are not searchable the same way on SQLite and
        # PostgreSQL: filter the (few) candidates here.
        if (
            appliance in slot.technician.appliances
            and slot.starts_at not in seen_starts
        ):
            slots.append(slot)
            seen_starts.add(slot.starts_at)
            if len(slots) >= limit:
                break
    return slots


def book(
    session: Session,
    customer_id: int,
    slot_id: int,
    appliance: str,
    service_type: str,
    now: dt.datetime,
) -> Appointment:
    """Books the slot for the customer.

    Raises:
        SlotTaken: the slot already holds a booked visit (the database's
            unique index decides, so two racing customers cannot both win).
    """
    appointment = Appointment(
        slot_id=slot_id,
        customer_id=customer_id,
        appliance=appliance,
        service_type=service_type,
        status=BOOKED,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(appointment)
            session.flush()
    except IntegrityError as error:
        raise SlotTaken(slot_id) from error
    return appointment


def reschedule(
    session: Session,
    customer_id: int,
    appointment_id: int,
    slot_id: int,
    now: dt.datetime,
) -> Appointment:
    """Moves the customer's visit to another slot, in one transaction.

    Raises:
        SlotTaken: the new slot was booked first; the old visit stays.
        LookupError: the visit is not the customer's booked visit.
    """
    old = session.get(Appointment, appointment_id)
    if old is None or old.customer_id != customer_id or old.status != BOOKED:
        raise LookupError(appointment_id)
    with session.begin_nested():
        old.status = CANCELLED
        session.flush()
        return book(session, customer_id, slot_id, old.appliance, old.service_type, now)


def appointments_of(
    session: Session, customer_id: int, now: dt.datetime
) -> list[Appointment]:
    """The customer's booked visits that have not started yet, soonest first."""
    return list(
        session.scalars(
            select(Appointment)
            .join(ServiceSlot)
            .where(
                Appointment.customer_id == customer_id,
                Appointment.status == BOOKED,
                ServiceSlot.starts_at > now,
            )
            .order_by(ServiceSlot.starts_at)
        )
    )


def cancel(session: Session, customer_id: int, appointment_id: int) -> bool:
    """Cancels the customer's visit; False if it is not theirs or not booked."""
    appointment = session.get(Appointment, appointment_id)
    if (
        appointment is None
        or appointment.customer_id != customer_id
        or appointment.status != BOOKED
    ):
        return False
    appointment.status = CANCELLED
    session.flush()
    return True
