import datetime as dt

import pytest
from sqlalchemy import select

from actions.store.models import Customer

# Monday 30 November 2026, 10:00 in New York: the sqlite_store's seeding day.
MONDAY_10AM = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def clock():
    return lambda: MONDAY_10AM


@pytest.fixture
def dana_id(sqlite_store):
    with sqlite_store.session() as session:
        return str(
            session.scalar(
                select(Customer.id).where(
                    Customer.email == "dana.whitfield@example.com"
                )
            )
        )
