"""Where the time of the last `make test` went: `make test-profile` prints it.

Reads what the run left in ``results/test-profile/``: the set-up and training
steps (``steps.tsv``, from ``scripts/step.sh``), Rasa's training log, the
checks (``checks.json``, from ``devtools.test_run``) and each pytest run's
seconds per file (from ``devtools.pytest_profile``). Prints a breakdown and
writes it as JSON (``results/test-profile.json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROFILE_DIR = PROJECT_ROOT / "results" / "test-profile"
TRAIN_LOG = PROJECT_ROOT / "results" / "train.log"
# Searched, not matched: a line may start with the colour code a warning left.
_HOOK = re.compile(
    r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) INFO\s+rasa\.engine\.training\.hooks\s+- "
    r"(Starting to train|Finished training|Restored) component '([^']+)'"
)


def read_steps(path: Path) -> dict[str, float]:
    """``NAME<TAB>seconds`` lines; a step recorded twice adds up."""
    steps: dict[str, float] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            name, _, seconds = line.partition("\t")
            if seconds:
                steps[name] = steps.get(name, 0.0) + float(seconds)
    return steps


def training_breakdown(lines: Iterable[str]) -> dict[str, float]:
    """Seconds per trained component, from Rasa's training log (1 s resolution).

    A component that appears twice (two CountVectorsFeaturizers) is numbered.
    Restored components take no time and are left out.
    """
    started: dict[str, dt.datetime] = {}
    seen: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for line in lines:
        match = _HOOK.search(line)
        if not match:
            continue
        stamp = dt.datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S")
        what, name = match.group(2), match.group(3)
        if what == "Starting to train":
            seen[name] = seen.get(name, 0) + 1
            key = name if seen[name] == 1 else f"{name} #{seen[name]}"
            started[name] = stamp
            seconds[key] = 0.0
        elif what == "Finished training" and name in started:
            key = name if seen[name] == 1 else f"{name} #{seen[name]}"
            seconds[key] = (stamp - started.pop(name)).total_seconds()
    return seconds


def pytest_files(profile_dir: Path, checks: Iterable[str]) -> dict[str, dict]:
    """Each pytest check's files, slowest first."""
    found = {}
    for name in checks:
        path = profile_dir / f"{name}.json"
        if path.exists():
            files = json.loads(path.read_text())["files"]
            found[name] = dict(
                sorted(files.items(), key=lambda item: -item[1]["seconds"])
            )
    return found


def build(profile_dir: Path = PROFILE_DIR, train_log: Path = TRAIN_LOG) -> dict:
    """The whole breakdown as one mapping."""
    steps = read_steps(profile_dir / "steps.tsv")
    checks_path = profile_dir / "checks.json"
    checks = json.loads(checks_path.read_text()) if checks_path.exists() else {}
    training = {}
    if "train" in steps and train_log.exists():
        lines = train_log.read_text(errors="replace").splitlines()
        training = training_breakdown(lines)
        training["(loading, featurizing, packaging)"] = round(
            steps["train"] - sum(training.values()), 1
        )
    started = profile_dir / "started"
    total = None
    if started.exists() and checks_path.exists():
        total = round(checks_path.stat().st_mtime - float(started.read_text()), 1)
    return {
        "total_seconds": total,
        "steps": steps,
        "training": training,
        "checks": checks.get("checks", {}),
        "lanes": checks.get("lanes", []),
        "checks_wall_seconds": checks.get("wall_seconds"),
        "pytest_files": pytest_files(profile_dir, checks.get("checks", {})),
    }


def counts_line(profile: dict) -> str:
    """Tests passed, failed and skipped over every pytest check, as one line."""
    total = {"passed": 0, "failed": 0, "skipped": 0}
    for files in profile["pytest_files"].values():
        for entry in files.values():
            for key in total:
                total[key] += int(entry[key])
    return (
        f"tests: {total['passed']} passed, {total['failed']} failed, "
        f"{total['skipped']} skipped"
    )


def render(profile: dict, top: int = 15) -> list[str]:
    """The breakdown as lines of text."""
    lines = []
    if profile["total_seconds"] is not None:
        lines.append(f"make test: {profile['total_seconds'] / 60:.1f} min in all")
    lines.append("set-up and training (what this run had to build):")
    for name, seconds in profile["steps"].items():
        lines.append(f"  {name:40} {seconds:7.1f} s")
    if not profile["steps"]:
        lines.append("  nothing: environments and model were up to date")
    for name, seconds in profile["training"].items():
        lines.append(f"    train: {name:32} {seconds:7.1f} s")
    if profile["checks"]:
        lanes = " | ".join(" → ".join(lane) for lane in profile["lanes"])
        wall = profile["checks_wall_seconds"]
        lines.append(f"checks ({wall:.0f} s wall; lanes: {lanes}):")
        for name, check in profile["checks"].items():
            mark = "" if check["ok"] else "  FAILED"
            lines.append(f"  {name:40} {check['seconds']:7.1f} s{mark}")
    for check, files in profile["pytest_files"].items():
        lines.append(f"{check}, slowest files:")
        for path, entry in list(files.items())[:top]:
            lines.append(f"  {path:60} {entry['seconds']:7.1f} s")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Prints the breakdown of the last run and writes it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=str(PROJECT_ROOT / "results/test-profile.json")
    )
    parser.add_argument("--top", type=int, default=15, help="slowest files to show")
    args = parser.parse_args(argv)
    if not (PROFILE_DIR / "started").exists():
        print("No `make test` run to profile yet: run `make test-profile`.")
        return 1
    profile = build()
    print("\n".join(render(profile, args.top)))
    Path(args.out).write_text(json.dumps(profile, indent=2), encoding="utf-8")
    print(f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
