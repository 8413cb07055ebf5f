import datetime as dt
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from actions.store import repository, seed
from actions.store.models import BOOKED, Appointment, Customer, Order, ServiceSlot
from tests.store.conftest import TODAY

NOW = dt.datetime.combine(TODAY, dt.time(9, 0))
WEEK = (NOW, NOW + dt.timedelta(days=7))


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_the_store_is_created_and_seeded_on_first_use(store):
    with store.session() as session:
        assert count(session, Customer) == 3
        order = repository.find_order(session, "A-1234")
        assert order.status == "shipped"
        assert order.estimated_delivery == TODAY + dt.timedelta(days=2)
        assert order.customer.email == "dana.whitfield@example.com"
        # Tuesday to Saturday of the first week: 4 x 4 + 2 windows, 3 technicians
        first_week = count(
            session,
            ServiceSlot,
            ServiceSlot.starts_at
            < dt.datetime.combine(TODAY, dt.time()) + dt.timedelta(days=7),
        )
        assert first_week == (4 * 4 + 2) * 3


def test_opening_the_store_again_adds_nothing(store_url):
    from actions.store.database import Store

    expected_slots = 3 * len(seed.slot_starts(seed.read(), TODAY))
    for _ in range(2):
        again = Store(url=store_url, today=lambda: TODAY)
        with again.session() as session:
            assert count(session, Customer) == 3
            assert count(session, Order) == 5
            assert count(session, ServiceSlot) == expected_slots
        again.dispose()


def test_a_week_later_the_next_weeks_slots_are_added(store_url):
    from actions.store.database import Store

    later = TODAY + dt.timedelta(days=7)
    for day in (TODAY, later):
        opened = Store(url=store_url, today=lambda day=day: day)
        with opened.session() as session:
            total = count(session, ServiceSlot)
        opened.dispose()
    starts = set(seed.slot_starts(seed.read(), TODAY))
    starts |= set(seed.slot_starts(seed.read(), later))
    assert total == 3 * len(starts)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("A-1234", "A-1234"),
        ("a1234", "A-1234"),
        ("a-1234", "A-1234"),
        (" A 1234 ", "A-1234"),
        ("A12345", None),
        ("AB-1234", None),
        ("1234", None),
        ("'; DROP TABLE orders; --", None),
        ("A-1234" * 2000, None),
        ("🙂", None),
        ("", None),
        (None, None),
    ],
)
def test_order_numbers_are_normalized_when_unambiguous(typed, expected):
    assert repository.normalize_order_number(typed) == expected


@pytest.mark.parametrize(
    "proof, accepted",
    [
        ("dana.whitfield@example.com", True),
        ("  Dana.Whitfield@Example.com ", True),
        ("10001", True),
        ("10001-2345", True),
        ("10002", False),
        ("marco.alvarez@example.com", False),
        ("' OR 1=1 --", False),
        ("x" * 10_000, False),
        ("", False),
        (None, False),
    ],
)
def test_identity_is_proven_by_email_or_zip(store, proof, accepted):
    with store.session() as session:
        customer = repository.find_order(session, "A-1234").customer
        assert repository.proves_identity(customer, proof) is accepted


def test_free_slots_match_the_appliance_and_skip_booked_ones(store):
    with store.session() as session:
        slots = repository.free_slots(session, "oven", *WEEK)
        assert slots and all("oven" in s.technician.appliances for s in slots)
        assert [s.starts_at for s in slots] == sorted(s.starts_at for s in slots)
        first = slots[0]
        customer = session.scalar(select(Customer).limit(1))
        repository.book(session, customer.id, first.id, "oven", "repair", NOW)
    with store.session() as session:
        again = repository.free_slots(session, "oven", *WEEK, limit=50)
        assert first.id not in {s.id for s in again}


def test_the_database_refuses_a_second_booking_of_a_slot(store):
    with store.session() as session:
        slot = repository.free_slots(session, "washer", *WEEK)[0]
        customers = session.scalars(select(Customer)).all()
        repository.book(session, customers[0].id, slot.id, "washer", "repair", NOW)
    # Not only the Python check: a raw insert hits the unique index too.
    with pytest.raises(IntegrityError), store.session() as session:
        session.add(
            Appointment(
                slot_id=slot.id, customer_id=customers[1].id, appliance="washer",
                service_type="repair", status=BOOKED, created_at=NOW,
            )
        )  # fmt: skip


def test_a_cancelled_slot_can_be_booked_again_and_only_by_its_owner(store):
    with store.session() as session:
        slot = repository.free_slots(session, "dryer", *WEEK)[0]
        dana, marco = session.scalars(select(Customer).order_by(Customer.id)).all()[:2]
        visit = repository.book(session, dana.id, slot.id, "dryer", "repair", NOW)
    with store.session() as session:
        assert not repository.cancel(session, marco.id, visit.id)
        assert repository.cancel(session, dana.id, visit.id)
        assert not repository.cancel(session, dana.id, visit.id)
    with store.session() as session:
        repository.book(session, marco.id, slot.id, "dryer", "repair", NOW)
        assert [
            a.slot_id for a in repository.appointments_of(session, marco.id, NOW)
        ] == [slot.id]
        assert repository.appointments_of(session, dana.id, NOW) == []


def test_twenty_customers_racing_for_one_slot(store):
    """Exactly one wins; the others are told and offered other slots."""
    with store.session() as session:
        slot = repository.free_slots(session, "refrigerator", *WEEK)[0]
        customer_ids = session.scalars(select(Customer.id)).all()
        rows_before = count(session, Appointment)
    store.engine  # noqa: B018 - set up before the race starts
    barrier = threading.Barrier(20)
    outcomes = []

    def attempt(n):
        customer_id = customer_ids[n % len(customer_ids)]
        barrier.wait()
        try:
            with store.session() as session:
                repository.book(
                    session, customer_id, slot.id, "refrigerator", "repair", NOW
                )
            outcomes.append(("booked", []))
        except repository.SlotTaken:
            with store.session() as session:
                others = repository.free_slots(session, "refrigerator", *WEEK)
                outcomes.append(("taken", [s.id for s in others]))

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == 20
    assert [kind for kind, _ in outcomes].count("booked") == 1
    for kind, alternatives in outcomes:
        if kind == "taken":
            assert alternatives and slot.id not in alternatives
    with store.session() as session:
        assert count(session, Appointment) == rows_before + 1
        assert count(session, Appointment, Appointment.slot_id == slot.id) == 1


def test_rescheduling_moves_a_visit_atomically(store):
    with store.session() as session:
        first, second, third = repository.free_slots(session, "oven", *WEEK, limit=3)
        dana, marco = session.scalars(select(Customer).order_by(Customer.id)).all()[:2]
        visit = repository.book(session, dana.id, first.id, "oven", "repair", NOW)
        repository.book(session, marco.id, third.id, "oven", "repair", NOW)
    with store.session() as session:
        moved = repository.reschedule(session, dana.id, visit.id, second.id, NOW)
        assert moved.slot_id == second.id and moved.appliance == "oven"
    # The slot someone else holds: refused, and the visit stays where it was.
    with store.session() as session, pytest.raises(repository.SlotTaken):
        repository.reschedule(session, dana.id, moved.id, third.id, NOW)
    with store.session() as session:
        [still] = repository.appointments_of(session, dana.id, NOW)
        assert still.slot_id == second.id
        # Not hers: refused.
        with pytest.raises(LookupError):
            marcos = repository.appointments_of(session, marco.id, NOW)[0]
            repository.reschedule(session, dana.id, marcos.id, first.id, NOW)


def test_the_store_s_today_is_the_company_s_not_the_machine_s():
    import datetime as dt

    from actions.store.database import company_today

    evening_in_new_york = dt.datetime(2026, 11, 30, 1, 20, tzinfo=dt.timezone.utc)
    assert company_today(lambda: evening_in_new_york) == dt.date(2026, 11, 29)
    noon = dt.datetime(2026, 11, 30, 17, 0, tzinfo=dt.timezone.utc)
    assert company_today(lambda: noon) == dt.date(2026, 11, 30)
