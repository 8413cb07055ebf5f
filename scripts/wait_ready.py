"""Waits until the action server's ``/ready`` says the first turn can be served.

    python scripts/wait_ready.py URL --pid-file .run/actions.pid --log .run/actions.log

On a terminal one line shows what is still loading and is replaced by one
readiness line at the end; otherwise only that last line is printed. Exits 1
when the server exits or the time runs out (with the log's last lines).
Standard library only: it runs in either environment.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

Report = dict[str, Any]
POLL_S = 0.5


def fetch(url: str, timeout: float = 2.0) -> Report | None:
    """The ``/ready`` report, or None while nothing answers at ``url``.

    A server without the route (404) has nothing to wait for: it counts as ready.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return {"ready": True, "steps": []}
        try:
            return json.loads(error.read() or b"{}")
        except ValueError:
            return {"ready": False, "steps": []}
    except (OSError, ValueError):
        return None


def progress_line(report: Report | None, elapsed: float) -> str:
    """What is still loading, for the line rewritten while waiting."""
    if report is None:
        return f"Starting the action server… {elapsed:.0f} s"
    parts = [
        f"{step['name']} {'done' if step['state'] != 'loading' else '…'}"
        for step in report.get("steps", [])
    ]
    return f"Loading {', '.join(parts) or 'the assistant'}  {elapsed:.0f} s"


def ready_line(report: Report, elapsed: float) -> str:
    """The one line that says the assistant is ready, and what failed to load."""
    failed = [step for step in report.get("steps", []) if step["state"] == "failed"]
    if not failed:
        return f"The assistant is ready ({elapsed:.0f} s)."
    problems = "; ".join(f"{step['name']}: {step.get('error', '')}" for step in failed)
    return (
        f"The assistant is up ({elapsed:.0f} s) but could not load {problems}. "
        "Open questions get the short apology meanwhile."
    )


def alive(pid_file: Path | None) -> bool:
    """Whether the process recorded in ``pid_file`` runs (True without one)."""
    if pid_file is None:
        return True
    try:
        os.kill(int(pid_file.read_text().strip()), 0)
    except (OSError, ValueError):
        return False
    return True


def tail(log: Path | None, lines: int = 40) -> str:
    """The last lines of ``log``, for a failure message."""
    if log is None or not log.is_file():
        return ""
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last lines of {log} ---\n" + "\n".join(text)


def wait(
    url: str,
    timeout: float,
    pid_file: Path | None = None,
    log: Path | None = None,
    out: TextIO = sys.stdout,
    get: Callable[[str], Report | None] = fetch,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Polls ``url`` until ready; False (having said why) if it never gets there."""
    started = clock()
    live = out.isatty()
    # On a terminal each line replaces the progress line before it.
    fresh_line = "\r\033[K" if live else ""
    while True:
        report = get(url)
        elapsed = clock() - started
        if report is not None and report.get("ready"):
            out.write(fresh_line + ready_line(report, elapsed) + "\n")
            return True
        problem = ""
        if not alive(pid_file):
            problem = "The action server exited while loading."
        elif elapsed >= timeout:
            problem = f"The action server was not ready within {timeout:.0f} s."
        if problem:
            out.write(fresh_line + problem + "\n")
            out.write(tail(log) + "\n")
            return False
        if live:
            out.write(fresh_line + progress_line(report, elapsed))
            out.flush()
        sleep(POLL_S)


def main(argv: list[str] | None = None) -> int:
    """Command line: see the module's docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--pid-file", type=Path)
    parser.add_argument("--log", type=Path)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args(argv)
    return 0 if wait(args.url, args.timeout, args.pid_file, args.log) else 1


if __name__ == "__main__":
    sys.exit(main())
