"""A pytest plugin: test files sharing a costly session fixture, one worker.

Each pytest-xdist worker has a session of its own, so a session fixture used
in two workers is built twice: the ordinary servers, the real local model.
Under ``--dist loadfile`` this plugin makes the files listed together under
the ``one_worker`` ini option one unit of work (every other file stays a unit
of its own), and fails the collection when a file uses a listed fixture
without being listed, so the list cannot fall behind the tests.

``one_worker`` lines read ``FIXTURE PATH``: a session fixture's name, then a
test file (relative to the root folder) whose tests use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

INI = "one_worker"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declares the ``one_worker`` ini option."""
    parser.addini(
        INI,
        type="linelist",
        default=[],
        help="FIXTURE PATH: test files sharing a session fixture, run in one worker",
    )


def read_table(lines: Iterable[str]) -> dict[str, str]:
    """Each listed file's unit of work: the fixture it shares."""
    units: dict[str, str] = {}
    for line in lines:
        fixture, _, path = line.partition(" ")
        if not fixture or not path.strip():
            raise pytest.UsageError(f"{INI}: {line!r} is not 'FIXTURE PATH'")
        units[path.strip()] = fixture
    return units


def file_of(nodeid: str) -> str:
    """The test file part of a test's id."""
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str, units: dict[str, str]) -> str:
    """A test's unit of work: its file's shared fixture, else the file."""
    path = file_of(nodeid)
    return units.get(path, path)


def unlisted(items: Iterable[Any], units: dict[str, str]) -> list[str]:
    """``PATH uses FIXTURE`` for each file using a listed fixture unlisted with it."""
    fixtures = set(units.values())
    found: set[str] = set()
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        path = file_of(item.nodeid)
        for name in fixtures & set(item.fixturenames):
            if units.get(path) == name:
                continue
            definitions = info.name2fixturedefs.get(name)
            if definitions and definitions[-1].scope == "session":
                found.add(f"{path} uses {name}")
    return sorted(found)


def pytest_collection_modifyitems(config: pytest.Config, items: list) -> None:
    """Fails when a file shares a listed fixture but is not listed with it."""
    missing = unlisted(items, read_table(config.getini(INI)))
    if missing:
        raise pytest.UsageError(
            f"add these lines to the {INI} ini option: " + "; ".join(missing)
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``--dist loadfile``, files listed together make one unit of work."""
    if config.getoption("dist", default="no") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    units = read_table(config.getini(INI))

    class FileGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid, units)

    return FileGroupScheduling(config, log)
