"""A SQL tracker store that gives Rasa a bounded window of each conversation.

Rasa's SQL store reads and replays every event of the session for every turn,
Rasa featurizes the whole tracker for every prediction (each policy walks
every event, even with a small ``max_history``) and sends the whole tracker to
the action server for every action: a turn costs more the longer the
conversation. This store keeps every event in Rasa's ``events`` table, as
Rasa's own SQL store does, but hands Rasa a tracker that holds only

  * a snapshot of the state before the window: session start, the slots that
    differ from their initial values, the active form;
  * the last ``max_turns`` customer turns as they happened.

Slots, the active form and the recent turns (what rules, forms, policies with
a ``max_history`` and the actions look at) are the same as in the full tracker.

The snapshot is saved too (table ``tracker_windows``: the snapshot's events
and the id of the last event it covers), in the same transaction as the
turn's events, so the next turn reads the snapshot and the events after it:
a bounded read, whatever the conversation's length. A marker on the
tracker's first ``SessionStarted`` (the snapshot's, or in a conversation
shorter than the window its own) says how many of the tracker's events are
stored already, so a save appends exactly the new ones without counting the
stored ones first; the marker itself is never written. The whole conversation
stays in the ``events`` table (``retrieve_full_tracker``, the HTTP API,
exports).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.utils.common import all_subclasses
from sqlalchemy.ext.declarative import declarative_base

DEFAULT_MAX_TURNS = 12
MARKER = "rasa_hybrid_window"


@functools.cache
def _event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # the first, as Rasa picks
    return classes


def events_from_dicts(dicts: Sequence[dict[str, Any]]) -> list[Event]:
    """Rasa's ``deserialise_events``, with the event classes looked up once.

    Rasa walks every subclass of ``Event`` for every event it reads, which was
    a third of reading a conversation. Names it does not know go to Rasa.
    """
    known = _event_classes()
    events = []
    for data in dicts:
        cls = known.get(data.get("event", ""))
        if cls is None:
            events.extend(deserialise_events([data]))
        elif (event := cls._from_parameters(data)) is not None:
            events.append(event)
    return events


def window_start(events: Sequence[Event], max_turns: int) -> int:
    """Index where the last ``max_turns`` customer turns begin (0: keep all).

    The window starts at the ``action_listen`` before a customer message, so
    its first turn is whole.
    """
    users = [i for i, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(users) <= max_turns:
        return 0
    cut = users[-max_turns]
    before = events[cut - 1] if cut else None
    if isinstance(before, ActionExecuted) and before.action_name == ACTION_LISTEN_NAME:
        cut -= 1
    return cut


def snapshot(prior: DialogueStateTracker, stamp: float) -> list[Event]:
    """Events that recreate ``prior``'s state: session start, slots, active form."""
    events: list[Event] = [
        ActionExecuted(ACTION_SESSION_START_NAME, timestamp=stamp),
        SessionStarted(timestamp=stamp),
    ]
    for slot in prior.slots.values():
        if slot.value != slot.initial_value:
            events.append(SlotSet(slot.name, slot.value, timestamp=stamp))
    if prior.active_loop_name:
        events.append(ActiveLoop(prior.active_loop_name, timestamp=stamp))
    return events


@dataclass
class Window:
    """Where a window tracker stands against the database."""

    stored: int  # the tracker's first events that are in the database
    prefix: int  # how many of them are the snapshot (not in ``events``)
    boundary: int  # id of the last stored event the snapshot covers
    snapshot_changed: bool

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values: the marker travels with the tracker's events."""
        return asdict(self)


def windowed(
    sender_id: str,
    events: list[Event],
    slots: Any,
    max_turns: int,
    base: list[Event] | None = None,
) -> tuple[DialogueStateTracker, int]:
    """The tracker Rasa works with, and where its window starts in ``events``.

    ``base`` is a stored snapshot that ``events`` continue. Without one, a
    short conversation comes back whole (cut 0).
    """
    base = base or []
    cut = window_start(events, max_turns)
    if cut == 0:
        return DialogueStateTracker.from_events(sender_id, base + events, slots), 0
    prior = DialogueStateTracker.from_events(sender_id, base + events[:cut], slots)
    prefix = snapshot(prior, events[cut].timestamp)
    return DialogueStateTracker.from_events(
        sender_id, prefix + events[cut:], slots
    ), cut


def _session_start(tracker: DialogueStateTracker) -> SessionStarted | None:
    """The ``SessionStarted`` among the tracker's first two events, if any."""
    for event in list(tracker.events)[:2]:
        if isinstance(event, SessionStarted):
            return event
    return None


def _marker(tracker: DialogueStateTracker) -> SessionStarted | None:
    event = _session_start(tracker)
    return event if event is not None and MARKER in (event.metadata or {}) else None


def _window_of(tracker: DialogueStateTracker) -> Window | None:
    marker = _marker(tracker)
    return None if marker is None else Window(**marker.metadata[MARKER])


def _mark(tracker: DialogueStateTracker, window: Window) -> DialogueStateTracker:
    """Puts ``window`` on the tracker's first ``SessionStarted``.

    That is the snapshot's, never stored, or one stored already: the marker
    itself is never written.
    """
    marker = _session_start(tracker)
    if marker is None:
        raise ValueError("a window starts with its session's SessionStarted")
    marker.metadata = {**(marker.metadata or {}), MARKER: window.as_dict()}
    return tracker


def new_events(tracker: DialogueStateTracker) -> list[Event] | None:
    """Events of a window tracker not stored yet (None: not a window)."""
    window = _window_of(tracker)
    return None if window is None else list(tracker.events)[window.stored :]


def _snapshot_dicts(tracker: DialogueStateTracker, count: int) -> str:
    dicts = []
    for event in list(tracker.events)[:count]:
        data = event.as_dict()
        if MARKER in (data.get("metadata") or {}):
            data["metadata"] = {
                k: v for k, v in data["metadata"].items() if k != MARKER
            }
        dicts.append(data)
    return json.dumps(dicts)


_Base: Any = declarative_base()


class _Snapshot(_Base):
    """The state of a conversation up to one of its events."""

    __tablename__ = "tracker_windows"
    sender_id = sa.Column(sa.String(255), primary_key=True)
    upto_event_id = sa.Column(sa.Integer, nullable=False)
    events = sa.Column(sa.Text, nullable=False)


class WindowedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose ``retrieve`` returns a bounded window.

    endpoints.yml: ``type:
    rasa_hybrid.trackers.windowed.WindowedSQLTrackerStore`` with the
    SQL store's options plus ``max_turns`` (customer turns kept, default 12).
    """

    engine: sa.engine.Engine

    def __init__(
        self, *args: Any, max_turns: int = DEFAULT_MAX_TURNS, **kwargs: Any
    ) -> None:
        if int(max_turns) < 1:
            raise ValueError(f"max_turns must be at least 1, not {max_turns!r}")
        self.max_turns = int(max_turns)
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self._keep_sqlite_connections()
        _Base.metadata.create_all(self.engine)
        self._statements()

    def _keep_sqlite_connections(self) -> None:
        """A pool of open connections to the SQLite file, in WAL mode.

        SQLAlchemy opens a new connection to a SQLite file for every session
        (two per turn) unless told otherwise, and SQLite's default journal
        syncs to disk twice per commit. With write-ahead logging and
        ``synchronous=NORMAL`` a commit is one append to the log: a crash of
        the process loses nothing, the file is never corrupted, and only a
        power cut can take back the last commits (the operating system had
        not written them yet).
        """
        engine = sa.create_engine(
            self.engine.url,
            poolclass=sa.pool.QueuePool,
            pool_size=4,
            connect_args={"check_same_thread": False},
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        self.engine.dispose()
        self.engine = engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=engine)

    def _statements(self) -> None:
        """The turn's reads and writes, built once (SQLAlchemy Core).

        The ORM's sessions, identity map and unit of work were a fifth of the
        Rasa server's CPU time per turn (py-spy, `make bench-load`); a turn
        needs three plain statements.
        """
        events = self.SQLEvent.__table__
        windows = _Snapshot.__table__
        sender = sa.bindparam("sender")
        columns = (events.c.id, events.c.type_name, events.c.data)
        self._select_snapshot = sa.select(
            windows.c.upto_event_id, windows.c.events
        ).where(windows.c.sender_id == sender)
        self._select_after = (
            sa.select(*columns)
            .where(events.c.sender_id == sender, events.c.id > sa.bindparam("upto"))
            .order_by(events.c.id)
        )
        # Rasa's own read (``_event_query``): the events of the latest session,
        # from its ``SessionStarted`` on, or all of them without one.
        session_start = (
            sa.select(sa.func.max(events.c.timestamp))
            .where(
                events.c.sender_id == sender,
                events.c.type_name == SessionStarted.type_name,
            )
            .scalar_subquery()
        )
        self._select_latest_session = (
            sa.select(*columns)
            .where(
                events.c.sender_id == sender,
                sa.or_(events.c.timestamp >= session_start, session_start.is_(None)),
            )
            .order_by(events.c.id)
        )
        self._insert_events = events.insert()
        self._update_snapshot = (
            windows.update()
            .where(windows.c.sender_id == sender)
            .values(upto_event_id=sa.bindparam("upto"), events=sa.bindparam("data"))
        )
        self._insert_snapshot = windows.insert().values(
            sender_id=sender,
            upto_event_id=sa.bindparam("upto"),
            events=sa.bindparam("data"),
        )

    def _rows_after(self, connection: Any, sender_id: str, upto: int) -> list[Any]:
        return connection.execute(
            self._select_after, {"sender": sender_id, "upto": upto}
        ).all()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The latest session of the conversation, as a window."""
        with self.engine.connect() as connection:
            saved = connection.execute(
                self._select_snapshot, {"sender": sender_id}
            ).first()
            rows = (
                self._rows_after(connection, sender_id, saved.upto_event_id)
                if saved
                else []
            )
            if saved is None or any(
                row.type_name == SessionStarted.type_name for row in rows
            ):
                # No snapshot, or a session began after it: the whole session.
                saved = None
                rows = connection.execute(
                    self._select_latest_session, {"sender": sender_id}
                ).all()
        ids = [row.id for row in rows]
        events = events_from_dicts([json.loads(row.data) for row in rows])
        base = events_from_dicts(json.loads(saved.events)) if saved else []
        if not events and not base:
            return None
        slots = self.domain.slots if self.domain else None
        tracker, cut = windowed(sender_id, events, slots, self.max_turns, base)
        if cut == 0 and saved is None:
            # Short: whole. Marked when it starts with its session, so the
            # save appends without counting what is stored; else Rasa's save.
            if _session_start(tracker) is None:
                return tracker
            return _mark(tracker, Window(len(tracker.events), 0, 0, False))
        prefix = len(tracker.events) - (len(events) - cut)
        boundary = ids[cut - 1] if cut else saved.upto_event_id
        window = Window(len(tracker.events), prefix, boundary, snapshot_changed=cut > 0)
        return _mark(tracker, window)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Appends the events after the window, and the window's snapshot."""
        window = _window_of(tracker)
        if window is None:
            await super().save(tracker)
            return
        events = list(tracker.events)[window.stored :]
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, events, tracker.sender_id)
        sender = tracker.sender_id
        with self.engine.begin() as connection:
            if events:
                rows = [self._row(sender, event) for event in events]
                connection.execute(self._insert_events, rows)
            if window.snapshot_changed:
                snapshot = {
                    "sender": sender,
                    "upto": window.boundary,
                    "data": _snapshot_dicts(tracker, window.prefix),
                }
                if not connection.execute(self._update_snapshot, snapshot).rowcount:
                    connection.execute(self._insert_snapshot, snapshot)
        window.stored = len(tracker.events)
        window.snapshot_changed = False
        _mark(tracker, window)

    def _row(self, sender_id: str, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
