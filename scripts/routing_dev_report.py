"""How many routing development phrasings reached the right intent, and the misses.

Usage: python scripts/routing_dev_report.py results/nlu-dev

Reads what `rasa test nlu` wrote for ``tests/nlu/routing_dev.yml``
(``intent_report.json`` and ``intent_errors.json``) and prints the count routed
right and every miss with what it became. The set chooses training examples,
so it is development data: it reports, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def account(report: dict, errors: list[dict]) -> str:
    """The count routed right and one line per miss, worst confidence last."""
    total = sum(
        int(row["support"])
        for name, row in report.items()
        if name not in SUMMARY_ROWS and isinstance(row, dict) and "support" in row
    )
    lines = [f"Routed right: {total - len(errors)} of {total}"]
    for error in sorted(errors, key=lambda e: e["intent"]):
        predicted = error.get("intent_prediction") or {}
        lines.append(
            f"  {error['intent']} -> {predicted.get('name')}"
            f" ({float(predicted.get('confidence') or 0):.2f}): {error['text']}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Prints the account of a `rasa test nlu` results folder."""
    parser = argparse.ArgumentParser()
    parser.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    report = json.loads((args.results / "intent_report.json").read_text())
    errors_file = args.results / "intent_errors.json"
    errors = json.loads(errors_file.read_text()) if errors_file.is_file() else []
    print(account(report, errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
