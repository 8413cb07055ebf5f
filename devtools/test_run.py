"""Runs the checks of `make test` in lanes that share the machine's cores.

Once the environments and the model exist, the checks are independent: the
action server's pytest run, and in the other lane validation, lint, the Rasa
environment's pytest run, the held-out NLU test and the test stories. Each
check is a make target; its output goes to ``results/test-profile/NAME.log``
and only a line per check reaches the screen, so two lanes never interleave.
Every check runs even when another fails; the last lines name what failed
(pytest's FAILED lines, or the tail of the check's log), then the count of
tests passed, failed and skipped. ``devtools.test_profile`` turns the figures
into a breakdown.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools import test_profile

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_DIR = PROJECT_ROOT / "results" / "test-profile"
#: The checks, lane by lane; each lane runs its checks one after another.
LANES: tuple[tuple[str, ...], ...] = (
    ("pytest-actions",),
    ("validate", "lint", "pytest-rasa", "nlu-test", "story-test"),
)
HEARTBEAT_S = 120.0
_PROGRESS = re.compile(r"\[\s*(\d+)%\]")
_FAILED = re.compile(r"^(FAILED|ERROR) \S+")


@dataclass
class Check:
    """One make target, its log and how it went."""

    name: str
    log: Path
    started: float | None = None
    seconds: float | None = None
    returncode: int | None = None
    summary: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        """Started and not finished."""
        return self.started is not None and self.returncode is None

    def progress(self) -> str:
        """The latest percentage pytest printed in the log, if any."""
        try:
            tail = self.log.read_bytes()[-4000:].decode(errors="replace")
        except OSError:
            return ""
        found = _PROGRESS.findall(tail)
        return f" {found[-1]} %" if found else ""


def run_check(check: Check, env: dict[str, str]) -> None:
    """Runs ``make NAME`` with its output in the check's log."""
    check.started = time.monotonic()
    with open(check.log, "wb") as log:
        result = subprocess.run(
            ["make", "--no-print-directory", check.name],
            cwd=PROJECT_ROOT,
            env={**env, "TEST_PROFILE_OUT": str(PROFILE_DIR / f"{check.name}.json")},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    check.seconds = time.monotonic() - check.started
    check.failures = failed_tests(check.log)
    text = check.log.read_text(errors="replace").splitlines()
    check.summary = next(
        (line.strip("= ") for line in reversed(text) if line.startswith("=")), ""
    )
    check.returncode = result.returncode


def failed_tests(log: Path) -> list[str]:
    """The FAILED and ERROR lines of pytest's short summary in a log."""
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if _FAILED.match(line)
    ]


def say(text: str) -> None:
    """A line on the screen, at once."""
    print(text, flush=True)


def run_lane(checks: list[Check], env: dict[str, str]) -> None:
    """Runs a lane's checks in order, reporting each as it ends."""
    for check in checks:
        run_check(check, env)
        mark = "ok" if check.returncode == 0 else "FAILED"
        detail = f" ({check.summary})" if check.summary else ""
        say(f"  {mark:6} {check.name:15} {check.seconds:6.0f} s{detail}")


def report_failure(check: Check) -> list[str]:
    """What names the failure: pytest's FAILED lines, else the log's tail."""
    if check.failures:
        return check.failures
    lines = check.log.read_text(errors="replace").splitlines()
    return [line for line in lines[-25:] if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """Runs the lanes; prints a line per check, the failures, the counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--serial", action="store_true", help="one lane: every check in turn"
    )
    args = parser.parse_args(argv)
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    lanes = [[Check(n, PROFILE_DIR / f"{n}.log") for n in lane] for lane in LANES]
    if args.serial:
        lanes = [[check for lane in lanes for check in lane]]
    checks = [check for lane in lanes for check in lane]
    say(
        f"Running {len(checks)} checks in {len(lanes)} lane(s); "
        f"logs in {PROFILE_DIR.relative_to(PROJECT_ROOT)}/"
    )
    started = time.monotonic()
    env = dict(os.environ)
    threads = [
        threading.Thread(target=run_lane, args=(lane, env), daemon=True)
        for lane in lanes
    ]
    for thread in threads:
        thread.start()
    beat = started
    while any(thread.is_alive() for thread in threads):
        time.sleep(0.5)
        if time.monotonic() - beat >= HEARTBEAT_S:
            beat = time.monotonic()
            busy = [f"{c.name}{c.progress()}" for c in checks if c.running]
            minutes = (beat - started) / 60
            say(f"  … {minutes:.0f} min: {', '.join(busy)}")
    wall = time.monotonic() - started
    (PROFILE_DIR / "checks.json").write_text(
        json.dumps(
            {
                "lanes": [[c.name for c in lane] for lane in lanes],
                "wall_seconds": round(wall, 1),
                "checks": {
                    c.name: {
                        "seconds": round(c.seconds or 0, 1),
                        "ok": not c.returncode,
                    }
                    for c in checks
                },
            },
            indent=2,
        )
    )
    failed = [check for check in checks if check.returncode]
    for check in failed:
        say(f"\n--- {check.name} failed (log: {check.log.relative_to(PROJECT_ROOT)}):")
        for line in report_failure(check):
            say(line)
    say(f"\nChecks done in {wall / 60:.1f} min.")
    say(test_profile.counts_line(test_profile.build(PROFILE_DIR)))
    if failed:
        say("make test FAILED: " + ", ".join(check.name for check in failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
