"""The windowed SQL tracker store (trackers/windowed.py) on a real SQLite file."""

import asyncio
import itertools
import json

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_hybrid.trackers.windowed import (
    MARKER,
    WindowedSQLTrackerStore,
    new_events,
    window_start,
    windowed,
)

from tests.conftest import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
# Event timestamps, increasing (Rasa reads sessions by timestamp).
CLOCK = itertools.count(1_000_000)


def turn(intent, action, text="x", slots=()):
    """One customer turn: listen, the message, the answer, its slot events."""
    stamp = float(next(CLOCK))
    return [
        ActionExecuted("action_listen", timestamp=stamp),
        UserUttered(text, {"name": intent, "confidence": 1.0}, timestamp=stamp),
        ActionExecuted(action, timestamp=stamp),
        BotUttered(f"{action} says", timestamp=stamp),
        *[SlotSet(name, value, timestamp=stamp) for name, value in slots],
    ]


def conversation(turns):
    stamp = float(next(CLOCK))
    events = [
        ActionExecuted("action_session_start", timestamp=stamp),
        SessionStarted(timestamp=stamp),
    ]
    for n in range(turns):
        if n == 2:
            events += turn("track_order", "order_status_form", "track my order")
            stamp = float(next(CLOCK))
            events += [ActiveLoop("order_status_form", timestamp=stamp)]
            events += [SlotSet("requested_slot", "order_number", timestamp=stamp)]
        elif n == 3:
            events += turn(
                "inform", "order_status_form", slots=[("order_number", "A-1234")]
            )
        else:
            events += turn(
                ["greet", "thank", "help"][n % 3], "utter_greet", f"turn {n}"
            )
    return events


def full_tracker(events):
    return DialogueStateTracker.from_events("c", events, DOMAIN.slots)


def test_short_conversations_are_kept_whole():
    events = conversation(5)
    assert window_start(events, 12) == 0
    tracker, cut = windowed("c", events, DOMAIN.slots, 12)
    assert cut == 0 and list(tracker.events) == events
    assert new_events(tracker) is None


def test_the_window_starts_at_a_whole_turn():
    events = conversation(30)
    cut = window_start(events, 12)
    assert events[cut] == ActionExecuted(
        "action_listen", timestamp=events[cut].timestamp
    )
    assert isinstance(events[cut + 1], UserUttered)
    assert sum(isinstance(e, UserUttered) for e in events[cut:]) == 12


def test_the_window_has_the_state_of_the_whole_conversation():
    events = conversation(40)
    full = full_tracker(events)
    window, cut = windowed("c", events, DOMAIN.slots, 12)
    assert cut == window_start(events, 12) > 0
    assert len(window.events) < len(full.events) / 2
    assert window.current_slot_values() == full.current_slot_values()
    assert window.slots["order_number"].value == "A-1234"
    assert window.active_loop_name == full.active_loop_name == "order_status_form"
    assert window.latest_message.text == full.latest_message.text
    assert window.latest_action_name == full.latest_action_name
    # What a policy with max_history 5 featurizes is the same.
    assert window.past_states(DOMAIN)[-5:] == full.past_states(DOMAIN)[-5:]


@pytest.fixture
def store(tmp_path):
    return WindowedSQLTrackerStore(
        domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"), max_turns=12
    )


def run(coroutine):
    return asyncio.run(coroutine)


def test_saves_append_only_new_events_and_lose_none(store):
    events = conversation(40)
    run(store.save(full_tracker(events)))  # a whole tracker: Rasa's way
    window = run(store.retrieve("c"))
    assert new_events(window) == []
    added = turn("goodbye", "utter_goodbye", "bye")
    for event in added:
        window.update(event)
    run(store.save(window))
    run(store.save(window))  # saving again writes nothing twice
    stored = run(store.retrieve_full_tracker("c"))
    assert list(stored.events) == events + added
    again = run(store.retrieve("c"))
    assert again.latest_message.text == "bye"
    assert again.current_slot_values() == stored.current_slot_values()
    # What Rasa sends the action server is plain JSON.
    json.dumps(again.current_state(EventVerbosity.ALL))


def test_turn_after_turn_the_window_matches_the_whole_and_reads_stay_bounded(store):
    stored = conversation(3)
    run(store.save(full_tracker(stored)))
    for n in range(60):
        window = run(store.retrieve("c"))
        slots = [("order_number", f"B-{n:04d}")] if n % 7 == 0 else []
        added = turn("inform" if slots else "greet", "utter_greet", f"t{n}", slots)
        for event in added:
            window.update(event)
        run(store.save(window))
        stored += added
        whole = run(store.retrieve_full_tracker("c"))
        assert list(whole.events) == stored
        again = run(store.retrieve("c"))
        assert again.current_slot_values() == whole.current_slot_values()
        assert again.active_loop_name == whole.active_loop_name
        assert again.past_states(DOMAIN)[-5:] == whole.past_states(DOMAIN)[-5:]
        # Never more than the window, a snapshot and the turn after it.
        assert sum(isinstance(e, UserUttered) for e in again.events) <= 13
    with store.session_scope() as session:
        after = store._rows_after(session, "c", _snapshot_upto(store, session))
    assert sum(row.type_name == "user" for row in after) <= 13


def _snapshot_upto(store, session):
    from rasa_hybrid.trackers.windowed import _Snapshot

    return session.get(_Snapshot, "c").upto_event_id


def test_a_new_session_after_the_snapshot_is_read_alone(store):
    run(store.save(full_tracker(conversation(30))))
    window = run(store.retrieve("c"))
    run(store.save(window))  # the snapshot is written
    stamp = float(next(CLOCK))
    fresh = [
        ActionExecuted("action_session_start", timestamp=stamp),
        SessionStarted(timestamp=stamp),
        SlotSet("order_number", "C-3456", timestamp=stamp),
        *turn("greet", "utter_greet", "hello again"),
    ]
    for event in fresh:
        window.update(event)
    run(store.save(window))
    latest = run(store.retrieve("c"))
    assert list(latest.events) == fresh
    assert latest.slots["order_number"].value == "C-3456"


def test_max_turns_must_be_positive(tmp_path):
    with pytest.raises(ValueError):
        WindowedSQLTrackerStore(
            domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "x.db"), max_turns=0
        )


def test_a_sqlite_file_keeps_its_connections_and_writes_ahead(store, tmp_path):
    run(store.save(full_tracker(conversation(2))))
    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        sync = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, sync) == ("wal", 1)  # 1: NORMAL, one sync per checkpoint
    assert store.engine.pool.checkedin() >= 1  # kept open, not closed per turn
    # Another process (a plain connection) sees every committed event.
    import sqlite3

    with sqlite3.connect(tmp_path / "c.db") as other:
        (count,) = other.execute("SELECT count(*) FROM events").fetchone()
    assert count == len(conversation(2))


def test_events_read_back_as_rasa_reads_them():
    from rasa.shared.core.events import deserialise_events
    from rasa_hybrid.trackers.windowed import events_from_dicts

    dicts = [event.as_dict() for event in conversation(6)] + [{"timestamp": 2.0}]
    assert events_from_dicts(dicts) == deserialise_events(dicts)
    assert len(events_from_dicts(dicts)) == len(conversation(6))
    unknown = [{"event": "no_such_event", "timestamp": 1.0}]
    for read in (events_from_dicts, deserialise_events):
        with pytest.raises(ValueError):
            read(unknown)


def test_a_short_conversation_is_saved_without_counting_and_loses_nothing(store):
    stored = conversation(3)
    run(store.save(full_tracker(stored)))
    for n in range(4):
        tracker = run(store.retrieve("c"))
        assert list(tracker.events) == stored  # whole: shorter than the window
        assert new_events(tracker) == []
        added = turn("greet", "utter_greet", f"short {n}")
        for event in added:
            tracker.update(event)
        run(store.save(tracker))
        run(store.save(tracker))  # again: nothing is written twice
        stored += added
        assert list(run(store.retrieve_full_tracker("c")).events) == stored
    # The marker that says what is stored is never written to the database.
    with store.engine.connect() as connection:
        datas = connection.exec_driver_sql("SELECT data FROM events").scalars()
        assert not any(MARKER in data for data in datas)


def test_a_conversation_without_a_session_start_is_saved_the_way_rasa_saves(store):
    events = conversation(2)[2:]  # no session start
    run(store.save(full_tracker(events)))
    tracker = run(store.retrieve("c"))
    assert new_events(tracker) is None
    added = turn("greet", "utter_greet", "hi")
    for event in added:
        tracker.update(event)
    run(store.save(tracker))
    run(store.save(tracker))
    assert list(run(store.retrieve_full_tracker("c")).events) == events + added


def test_the_latest_session_is_read_as_rasa_reads_it(store, tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    first, second = conversation(4), conversation(3)
    run(store.save(full_tracker(first + second)))
    ours = run(store.retrieve("c"))
    rasa = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "c.db"))
    assert list(ours.events) == list(run(rasa.retrieve("c")).events) == second
    assert run(store.retrieve("nobody")) is None
