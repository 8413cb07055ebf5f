"""Fails when held-out intent F1 falls below a floor.

Usage: python scripts/check_nlu_report.py results/nlu/intent_report.json [--min-f1 0.9]

Reads the report `rasa test nlu` writes, prints the macro-averaged F1 and the
weakest intents, and exits 1 below the floor, so NLU regressions fail the build.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SUMMARY_ROWS = ("accuracy", "macro avg", "weighted avg", "micro avg")


def check(report: dict, min_f1: float) -> tuple[bool, str]:
    """Whether the macro F1 reaches ``min_f1``, and a readable account of it."""
    macro = float(report["macro avg"]["f1-score"])
    per_intent = {
        name: row["f1-score"]
        for name, row in report.items()
        if name not in SUMMARY_ROWS and isinstance(row, dict) and "f1-score" in row
    }
    weakest = sorted(per_intent.items(), key=lambda item: item[1])[:5]
    lines = [f"Held-out intent F1 (macro): {macro:.3f} (floor {min_f1:.2f})"]
    lines += [f"  {name}: {f1:.3f}" for name, f1 in weakest]
    return macro >= min_f1, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Prints the account; exit status 1 below the floor."""
    parser = argparse.ArgumentParser()
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-f1", type=float, default=0.9)
    args = parser.parse_args(argv)
    passed, account = check(json.loads(args.report.read_text()), args.min_f1)
    print(account)
    if not passed:
        print("NLU regression: held-out intent F1 is below the floor.", file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
