"""Loads the demo data of ``data/demo_store.yml`` into an empty store."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.store.models import Customer, Order, ServiceSlot, Technician
from actions.support_hours import WEEKDAYS

DEFAULT_SEED = Path(__file__).resolve().parents[2] / "data" / "demo_store.yml"


@lru_cache(maxsize=4)
def read(path: Path = DEFAULT_SEED) -> dict[str, Any]:
    """The seed file's content."""
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _days(today: dt.date, offset: Any) -> dt.date | None:
    return None if offset is None else today + dt.timedelta(days=int(offset))


def load(session: Session, data: dict[str, Any], today: dt.date) -> None:
    """Adds the seed's customers, orders and technicians to the session."""
    customers = {
        row["email"]: Customer(
            name=row["name"], email=row["email"], zip_code=str(row["zip_code"])
        )
        for row in data["customers"]
    }
    session.add_all(customers.values())
    for row in data["orders"]:
        session.add(
            Order(
                number=row["number"],
                customer=customers[row["customer"]],
                status=row["status"],
                items=list(row["items"]),
                carrier=row.get("carrier"),
                tracking_number=row.get("tracking_number"),
                estimated_delivery=_days(today, row.get("eta_in_days")),
                original_estimate=_days(today, row.get("original_eta_in_days")),
            )
        )
    session.add_all(
        Technician(name=row["name"], appliances=list(row["appliances"]))
        for row in data["technicians"]
    )


def slot_starts(data: dict[str, Any], today: dt.date) -> list[dt.datetime]:
    """Every visit start from tomorrow to ``days_ahead`` days ahead."""
    hours = data["service_hours"]
    starts = []
    for offset in range(1, int(hours["days_ahead"]) + 1):
        day = today + dt.timedelta(days=offset)
        for start in hours["windows"].get(WEEKDAYS[day.weekday()]) or []:
            starts.append(dt.datetime.combine(day, dt.time.fromisoformat(start)))
    return starts


def ensure_slots(session: Session, data: dict[str, Any], today: dt.date) -> None:
    """Adds the visit slots of the coming weeks that do not exist yet."""
    length = dt.timedelta(hours=int(data["service_hours"]["visit_hours"]))
    starts = slot_starts(data, today)
    if not starts:
        return
    existing = set(
        session.execute(
            select(ServiceSlot.technician_id, ServiceSlot.starts_at).where(
                ServiceSlot.starts_at >= starts[0]
            )
        ).all()
    )
    for technician_id in session.scalars(select(Technician.id)):
        for start in starts:
            if (technician_id, start) not in existing:
                session.add(
                    ServiceSlot(
                        technician_id=technician_id,
                        starts_at=start,
                        ends_at=start + length,
                    )
                )
