import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from actions.support_hours import SupportHours, availability, clock_time

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAY_HOURS = {
    "timezone": "America/New_York",
    "hours": {
        "monday": "08:00-20:00",
        "tuesday": "08:00-20:00",
        "wednesday": "08:00-20:00",
        "thursday": "08:00-20:00",
        "friday": "08:00-20:00",
        "saturday": "09:30-17:00",
        "sunday": "closed",
    },
}


def at(year, month, day, hour, minute=0, tz=NEW_YORK):
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


@pytest.fixture
def hours():
    return SupportHours.from_mapping(WEEKDAY_HOURS)


def test_the_shipped_schedule_loads():
    hours = SupportHours.load()
    assert hours.timezone == NEW_YORK
    assert hours.windows[6] is None  # closed on Sundays
    assert hours.windows[0] == (dt.time(8), dt.time(20))


def test_open_during_a_weekday(hours):
    state = availability(hours, at(2026, 11, 30, 10))  # Monday
    assert state.open_now
    assert state.closes_at == at(2026, 11, 30, 20)
    assert state.opens_at is None


def test_opening_time_is_inclusive_and_closing_time_exclusive(hours):
    assert availability(hours, at(2026, 11, 30, 8)).open_now
    closed = availability(hours, at(2026, 11, 30, 20))
    assert not closed.open_now
    assert closed.opens_at == at(2026, 12, 1, 8)


def test_before_opening_the_team_starts_later_today(hours):
    state = availability(hours, at(2026, 11, 30, 6, 45))
    assert not state.open_now
    assert state.opens_at == at(2026, 11, 30, 8)


def test_saturday_evening_skips_the_closed_sunday(hours):
    state = availability(hours, at(2026, 11, 28, 18))  # Saturday
    assert state.opens_at == at(2026, 11, 30, 8)  # Monday


def test_times_in_other_zones_are_converted(hours):
    utc_now = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.timezone.utc)  # 10:00 EST
    assert availability(hours, utc_now).open_now
    utc_late = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)  # 21:00 EST
    assert not availability(hours, utc_late).open_now


def test_daylight_saving_time_is_respected(hours):
    # 12:30 UTC is 8:30 in New York after the switch to EDT (UTC-4) on
    # 8 March 2026, and would be 7:30 under EST.
    monday_after_switch = dt.datetime(2026, 3, 9, 12, 30, tzinfo=dt.timezone.utc)
    assert availability(hours, monday_after_switch).open_now
    monday_before_switch = dt.datetime(2026, 3, 2, 12, 30, tzinfo=dt.timezone.utc)
    assert not availability(hours, monday_before_switch).open_now


@pytest.mark.parametrize(
    "hour, minute, expected",
    [
        (0, 0, "12 am"),
        (8, 0, "8 am"),
        (9, 30, "9:30 am"),
        (12, 0, "12 pm"),
        (17, 5, "5:05 pm"),
    ],
)
def test_clock_time_reads_like_a_person_would_say_it(hour, minute, expected):
    assert clock_time(at(2026, 11, 30, hour, minute)) == expected


@pytest.mark.parametrize(
    "change, message",
    [
        ({"timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"hours": "always"}, "must map weekdays"),
        (
            {"hours": {**WEEKDAY_HOURS["hours"], "funday": "08:00-09:00"}},
            "unknown weekdays",
        ),
        (
            {"hours": {**WEEKDAY_HOURS["hours"], "monday": "8 to 8"}},
            "expected 'HH:MM-HH:MM'",
        ),
        (
            {"hours": {**WEEKDAY_HOURS["hours"], "monday": "20:00-08:00"}},
            "is not before",
        ),
        ({"hours": dict.fromkeys(WEEKDAY_HOURS["hours"], "closed")}, "never open"),
    ],
)
def test_invalid_schedules_are_refused_with_the_reason(change, message):
    with pytest.raises(ValueError, match=message):
        SupportHours.from_mapping({**WEEKDAY_HOURS, **change})


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "hours.yml"
    path.write_text("timezone: [unclosed\n")
    with pytest.raises(ValueError, match="is not YAML"):
        SupportHours.load(path)


def test_a_missing_file_raises_os_error(tmp_path):
    with pytest.raises(OSError):
        SupportHours.load(tmp_path / "missing.yml")
