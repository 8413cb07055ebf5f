import datetime as dt

import pytest

from actions.appointments.when import PARTS_OF_DAY, parse_wish

NOW = dt.datetime(2026, 11, 30, 10, 0)  # a Monday
MORNING, AFTERNOON = PARTS_OF_DAY["morning"], PARTS_OF_DAY["afternoon"]


@pytest.mark.parametrize(
    "text, day, time, part",
    [
        ("tomorrow morning", dt.date(2026, 12, 1), None, MORNING),
        ("next Tuesday afternoon", dt.date(2026, 12, 1), None, AFTERNOON),
        ("the 12th at 3pm", dt.date(2026, 12, 12), dt.time(15), None),
        ("the 12th", dt.date(2026, 12, 12), None, None),
        ("on friday at 9", dt.date(2026, 12, 4), dt.time(9), None),
        ("at 3 on thursday", dt.date(2026, 12, 3), dt.time(15), None),
        ("Dec 3 at 10am", dt.date(2026, 12, 3), dt.time(10), None),
        ("12/3", dt.date(2026, 12, 3), None, None),
        ("december 12 at 15:00", dt.date(2026, 12, 12), dt.time(15), None),
        ("actually make it Thursday", dt.date(2026, 12, 3), None, None),
        ("monday", dt.date(2026, 12, 7), None, None),  # today is Monday: the next
        ("the day after tomorrow", dt.date(2026, 12, 2), None, None),
        ("yesterday", dt.date(2026, 11, 29), None, None),
        ("saturday 12:30 pm", dt.date(2026, 12, 5), dt.time(12, 30), None),
        ("the 2nd", dt.date(2026, 12, 2), None, None),
        ("the 30th", dt.date(2026, 11, 30), None, None),
    ],
)
def test_what_customers_type(text, day, time, part):
    wish = parse_wish(text, NOW)
    assert (wish.day, wish.time, wish.part_of_day) == (day, time, part)
    assert wish.understood


def test_next_week_and_asap_are_understood_without_a_day():
    assert parse_wish("sometime next week", NOW).next_week
    assert parse_wish("asap", NOW).soonest
    assert parse_wish("whenever works", NOW).soonest


@pytest.mark.parametrize(
    "text",
    ["", "asdf", "2 washers", "A-1234", "🙂", "x" * 10_000, None, 42, ["friday"]],
)
def test_anything_else_is_not_understood(text):
    assert not parse_wish(text, NOW).understood


def test_numbers_are_not_taken_for_times_without_am_pm_or_at():
    assert parse_wish("the 12th", NOW).time is None
    assert parse_wish("at 12", NOW).time == dt.time(12)
