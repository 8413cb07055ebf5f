"""Tables of the business store: customers, orders, technicians, slots, visits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

BOOKED = "booked"
CANCELLED = "cancelled"


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class Customer(Base):
    """A customer, identified to the assistant by email and ZIP code."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    zip_code: Mapped[str] = mapped_column(String(10))

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    """An order and its delivery."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20))
    items: Mapped[list[str]] = mapped_column(JSON)
    carrier: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(40))
    estimated_delivery: Mapped[dt.date | None] = mapped_column(Date)
    original_estimate: Mapped[dt.date | None] = mapped_column(Date)

    customer: Mapped[Customer] = relationship(back_populates="orders")


class Technician(Base):
    """A service technician and the appliances they work on."""

    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    appliances: Mapped[list[str]] = mapped_column(JSON)


class ServiceSlot(Base):
    """A two-hour window in which one technician can make one visit."""

    __tablename__ = "service_slots"
    __table_args__ = (UniqueConstraint("technician_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)

    technician: Mapped[Technician] = relationship()


class Appointment(Base):
    """A technician visit booked by a customer in a slot."""

    __tablename__ = "appointments"
    __table_args__ = (
        # One booked visit per slot, enforced by the database itself: of two
        # customers racing for a slot, the second insert fails.
        Index(
            "uq_appointments_booked_slot",
            "slot_id",
            unique=True,
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("service_slots.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    appliance: Mapped[str] = mapped_column(String(40))
    service_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=BOOKED)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)

    slot: Mapped[ServiceSlot] = relationship()
