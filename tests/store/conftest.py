"""Stores for tests: a temporary SQLite file, and a real PostgreSQL server."""

import datetime as dt
import os
import uuid

import pytest

from actions.store.database import Store
from devtools.postgres import PostgresServer, postgres_bin_dir

# A Monday: visits exist from Tuesday on.
TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server: STORE_URL's if it names one, else a throwaway one."""
    if os.environ.get("STORE_URL", "").startswith("postgresql"):
        yield None
        return
    if postgres_bin_dir() is None:
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail("REQUIRE_POSTGRES is set but PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("postgres")
    name = f"test_{uuid.uuid4().hex[:12]}"
    if server is None:
        return create_database(os.environ["STORE_URL"], name)
    return server.create_database(name)


def create_database(server_url, name):
    """A fresh database on the PostgreSQL server of STORE_URL, for one test."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def store(store_url):
    """A store on that database, seeded as of TODAY."""
    opened = Store(url=store_url, today=lambda: TODAY)
    yield opened
    opened.dispose()
