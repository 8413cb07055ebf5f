import datetime as dt
from dataclasses import dataclass

import pytest

from actions.appointments import scheduling
from actions.appointments.when import Wish
from actions.store import seed

NOW = dt.datetime(2026, 11, 30, 10, 0)  # Monday
HOURS = seed.read()["service_hours"]
TUESDAY = dt.date(2026, 12, 1)
SUNDAY = dt.date(2026, 12, 6)


@dataclass
class FakeSlot:
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime


def calendar(taken=()):
    """Every slot of the service hours, minus the taken starts."""
    slots = []
    for n, start in enumerate(seed.slot_starts(seed.read(), NOW.date()), start=1):
        if start not in taken:
            slots.append(FakeSlot(n, start, start + dt.timedelta(hours=2)))

    def free(begin, end, limit):
        return [s for s in slots if begin <= s.starts_at < end][:limit]

    return free, {s.id: s for s in slots}


def at(day, hour):
    return dt.datetime.combine(day, dt.time(hour))


def test_an_exact_free_time_is_chosen():
    free, by_id = calendar()
    decision = scheduling.decide(Wish(day=TUESDAY, time=dt.time(10)), NOW, HOURS, free)
    assert decision.problem is None
    assert by_id[decision.slot_id].starts_at == at(TUESDAY, 10)


def test_a_time_inside_a_window_picks_that_window():
    free, by_id = calendar()
    decision = scheduling.decide(Wish(day=TUESDAY, time=dt.time(14)), NOW, HOURS, free)
    assert by_id[decision.slot_id].starts_at == at(TUESDAY, 13)


def test_a_taken_time_offers_that_days_other_visits():
    free, by_id = calendar(taken={at(TUESDAY, 10)})
    decision = scheduling.decide(Wish(day=TUESDAY, time=dt.time(10)), NOW, HOURS, free)
    assert decision.problem == scheduling.TAKEN
    starts = [by_id[i].starts_at for i in decision.proposals]
    assert starts and at(TUESDAY, 10) not in starts
    assert all(s.date() == TUESDAY for s in starts)


def test_a_part_of_day_offers_the_visits_in_it():
    free, by_id = calendar()
    wish = Wish(day=TUESDAY, part_of_day=(dt.time(12), dt.time(17)))
    decision = scheduling.decide(wish, NOW, HOURS, free)
    assert decision.problem == scheduling.CHOOSE
    assert [by_id[i].starts_at.hour for i in decision.proposals] == [13, 15]


@pytest.mark.parametrize(
    "wish, problem",
    [
        (Wish(day=dt.date(2026, 11, 29)), scheduling.PAST),
        (Wish(day=NOW.date()), scheduling.PAST),  # no same-day visits
        (Wish(day=SUNDAY), scheduling.CLOSED),
        (Wish(day=TUESDAY, time=dt.time(19)), scheduling.OUT_OF_HOURS),
        (Wish(day=dt.date(2026, 12, 5), time=dt.time(15)), scheduling.OUT_OF_HOURS),
        (Wish(day=dt.date(2027, 2, 1)), scheduling.TOO_FAR),
    ],
)
def test_impossible_wishes_get_the_reason_and_proposals(wish, problem):
    free, by_id = calendar()
    decision = scheduling.decide(wish, NOW, HOURS, free)
    assert decision.problem == problem
    assert decision.slot_id is None
    assert decision.proposals
    assert all(by_id[i].starts_at > NOW for i in decision.proposals)


def test_a_wish_that_is_not_understood_is_asked_again():
    free, _ = calendar()
    decision = scheduling.decide(Wish(), NOW, HOURS, free)
    assert decision == scheduling.Decision(problem=scheduling.UNCLEAR)


def test_next_week_offers_next_weeks_visits():
    free, by_id = calendar()
    decision = scheduling.decide(Wish(next_week=True), NOW, HOURS, free)
    assert decision.problem == scheduling.CHOOSE
    assert all(
        by_id[i].starts_at.date() >= dt.date(2026, 12, 7) for i in decision.proposals
    )


def test_a_fully_booked_day_offers_the_next_free_ones():
    tuesday_starts = {at(TUESDAY, h) for h in (8, 10, 13, 15)}
    free, by_id = calendar(taken=tuesday_starts)
    decision = scheduling.decide(Wish(day=TUESDAY), NOW, HOURS, free)
    assert decision.problem == scheduling.TAKEN
    assert by_id[decision.proposals[0]].starts_at == at(dt.date(2026, 12, 2), 8)


def test_visit_labels_read_well():
    label = scheduling.visit_label(at(TUESDAY, 13), at(TUESDAY, 15))
    assert label == "Tue Dec 1, 1 pm-3 pm"
