"""A pytest plugin that writes where a run's time went, file by file.

Loaded with ``-p devtools.pytest_profile`` (``make test`` does). When
``TEST_PROFILE_OUT`` names a file, the run writes there, as JSON, the seconds
each test file took (set-up, call and tear-down of its tests, module fixtures
included: a server a module starts counts for that module) and its outcomes.
``devtools.test_profile`` reads it into the breakdown of ``make test-profile``.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

_files: dict[str, dict[str, float]] = defaultdict(
    lambda: {"seconds": 0.0, "passed": 0, "failed": 0, "skipped": 0}
)
_started = time.monotonic()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Adds each phase's duration to its file; counts each test's outcome once."""
    entry = _files[report.nodeid.split("::", 1)[0]]
    entry["seconds"] += report.duration
    if report.when == "call" or (report.when == "setup" and not report.passed):
        entry[report.outcome] += 1


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Writes the figures where ``TEST_PROFILE_OUT`` says, if it says."""
    out = os.environ.get("TEST_PROFILE_OUT")
    if not out:
        return
    # Worker processes of pytest-xdist report to the controller, which writes.
    if hasattr(session.config, "workerinput"):
        return
    files = {
        path: {**entry, "seconds": round(entry["seconds"], 2)}
        for path, entry in sorted(_files.items())
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(
        json.dumps(
            {"seconds": round(time.monotonic() - _started, 2), "files": files},
            indent=2,
        ),
        encoding="utf-8",
    )
