"""The store's engine and sessions: created on first use, never at import.

``STORE_URL`` chooses the database: a SQLite file under the project by
default, PostgreSQL (``postgresql+psycopg://user:pass@host/db``) to scale out.
The same code runs on both.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from actions.store import seed
from actions.store.models import Base, Customer

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'var' / 'acme_store.db'}"


def store_url() -> str:
    """The database URL: ``STORE_URL``, or the SQLite file under ``var/``."""
    return os.environ.get("STORE_URL") or DEFAULT_URL


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:  # pragma: no cover - glue
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def company_today(clock: Callable[[], dt.datetime] | None = None) -> dt.date:
    """Today in the company's time zone, where visit slots are kept.

    The machine's own date (UTC here) is a day ahead of New York every evening:
    slots then began the day after the customer's "tomorrow".
    """
    from actions.appointments.clock import local_now
    from actions.handoff import utc_now

    return local_now(clock or utc_now).date()


class Store:
    """A database holding the demo company's data, set up on first use."""

    def __init__(
        self,
        url: str | None = None,
        today: Callable[[], dt.date] = company_today,
        seed_path: Path = seed.DEFAULT_SEED,
    ) -> None:
        self._url = url
        self._today = today
        self._seed_path = seed_path
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._slots_ensured_for: dt.date | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        """The database URL in use."""
        return self._url or store_url()

    @property
    def engine(self) -> Engine:
        """The engine, created (with tables and demo data) on first use."""
        with self._lock:
            if self._engine is None:
                engine = _make_engine(self.url)
                Base.metadata.create_all(engine)
                self._sessions = sessionmaker(engine, expire_on_commit=False)
                self._engine = engine
                self._seed_if_empty()
            self._ensure_slots()
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on error."""
        self.engine  # noqa: B018 - sets the store up on first use
        assert self._sessions is not None
        with self._sessions() as session, session.begin():
            yield session

    def _seed_if_empty(self) -> None:
        assert self._sessions is not None
        try:
            with self._sessions() as session, session.begin():
                if not session.scalar(select(func.count()).select_from(Customer)):
                    seed.load(session, seed.read(self._seed_path), self._today())
        except IntegrityError:
            pass  # another process seeded it at the same moment

    def _ensure_slots(self) -> None:
        today = self._today()
        if self._slots_ensured_for == today:
            return
        assert self._sessions is not None
        for _ in range(3):
            try:
                with self._sessions() as session, session.begin():
                    seed.ensure_slots(session, seed.read(self._seed_path), today)
                break
            except IntegrityError:
                continue  # another process added the same slots: look again
        self._slots_ensured_for = today

    def dispose(self) -> None:
        """Closes the store's connections."""
        if self._engine is not None:
            self._engine.dispose()


@lru_cache(maxsize=1)
def default_store() -> Store:
    """The store shared by the actions of this process."""
    return Store()
