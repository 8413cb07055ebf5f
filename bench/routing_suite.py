"""Benchmark suite: routing on every small-bot set, CLINC150 and its few-shot files.

For each set it trains the pipeline of ``config.yml`` on the set's in-scope
training rows (no out-of-scope example is ever trained on), parses the test
rows and reports two columns:

* **calibrated**: the model's own fallback decision, with whatever threshold
  the pipeline set at training time from its in-scope examples (or pinned);
* **tuned**: the threshold that gives the best overall accuracy on the set's
  validation rows, applied to the test rows.

Each set also records ``calibrated_valid``: the calibrated routing scored on
the validation rows, the figure on which pipeline settings are compared.

The few-shot files have no validation split: a quarter of their intents is
held out as out of scope plus one example of every other intent
(``bench.routing_lab.few_shot_split``), a second model is trained on the rest,
and the threshold is tuned on it for balanced accuracy (in-scope accuracy and
out-of-scope recall weighed alike: the split is mostly out of scope, the
customers need not be). Test data never chooses anything.

    python -m bench.routing_suite [--only NAME ...] [--config C] [--out F.json]

Writes the JSON and a Markdown table beside it; `make bench-routing-suite`
runs it in the Rasa environment.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.routing import fallback_settings, parse_all, quiet_logs, train
from bench.routing_lab import few_shot_split
from bench.routing_metrics import (
    Example,
    Parsed,
    best_accuracy_threshold,
    decide,
    read_examples,
    score,
)
from bench.stats import machine, percentile

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
OOS = "oos"
FALLBACK = "nlu_fallback"


@dataclass(frozen=True)
class SuiteSet:
    """One set: in-scope training rows, test rows, and validation rows or None.

    Without validation rows the threshold is tuned on a split of the training
    rows (``few_shot_split``).
    """

    name: str
    train: list[Example]
    test: list[Example]
    val: list[Example] | None


def suite_sets(data: Path = DATA) -> list[SuiteSet]:
    """Every set of the suite, read from ``data`` (../shared/data)."""
    sets = []
    for folder in sorted((data / "intent-oos").glob("*-oos")):
        sets.append(
            SuiteSet(
                folder.name,
                _in_scope(read_examples(folder / "train.csv")),
                read_examples(folder / "test.csv"),
                read_examples(folder / "valid.csv"),
            )
        )
    clinc = data / "clinc150"
    test = read_examples(clinc / "test.csv")
    sets.append(
        SuiteSet(
            "clinc150",
            _in_scope(read_examples(clinc / "train.csv")),
            test,
            read_examples(clinc / "val.csv"),
        )
    )
    for few in sorted((data / "intent-oos" / "clinc150-fewshot").glob("train*.csv")):
        shots = few.stem.removeprefix("train")
        sets.append(SuiteSet(f"clinc150-{shots}shot", read_examples(few), test, None))
    return sets


def _in_scope(rows: list[Example]) -> list[Example]:
    return [row for row in rows if row.label != OOS]


def routed_label(intent: str) -> str:
    """The suite's label of a routed intent: a fallback is out of scope."""
    return OOS if intent in (FALLBACK, OOS) else intent


def run_set(config: Path, item: SuiteSet, workdir: Path) -> dict[str, Any]:
    """Trains, parses and scores one set: calibrated and tuned figures."""
    share = fallback_settings(config).get("min_latin_share", 0.5)
    for part in ("model", "tune"):
        (workdir / part).mkdir(parents=True, exist_ok=True)
    model, seconds = train(config, item.train, workdir / "model")
    from rasa.core.agent import Agent

    agent = Agent.load(model)
    routed, parsed, latencies = parse_all(agent, item.test, item.name, share)
    gold = [row.label for row in item.test]
    calibrated = score(gold, [routed_label(i) for i in routed], OOS)
    if item.val is not None:
        val_gold = [row.label for row in item.val]
        val_routed, val_parsed, _ = parse_all(
            agent, item.val, f"{item.name} valid", share
        )
    else:
        tune_train, tune_val = few_shot_split(item.train)
        tune_model, _ = train(config, tune_train, workdir / "tune")
        val_gold = [row.label for row in tune_val]
        val_routed, val_parsed, _ = parse_all(
            Agent.load(tune_model), tune_val, f"{item.name} split", share
        )
    threshold = best_accuracy_threshold(
        val_gold, val_parsed, OOS, balanced=item.val is None
    )
    tuned = score(gold, tuned_routes(parsed, threshold), OOS)
    return {
        "set": item.name,
        "n_train": len(item.train),
        "calibrated": calibrated,
        "tuned": {**tuned, "threshold": threshold},
        # What settings are chosen on: the calibrated routing of the
        # validation rows (few-shot: of the split, by its own model).
        "calibrated_valid": score(val_gold, [routed_label(i) for i in val_routed], OOS),
        "train_seconds": round(seconds, 1),
        "parse_ms_p50": round(percentile(latencies, 0.50), 2),
    }


def tuned_routes(parsed: Sequence[Parsed], threshold: float) -> list[str]:
    """The test labels at a tuned threshold (no ambiguity rule)."""
    return [decide(p, threshold, 0.0, OOS) for p in parsed]


def markdown(rows: list[dict[str, Any]]) -> str:
    """The suite's table: both columns of every set, and the means."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}"

    lines = [
        "| set | accuracy | in-scope | OOS recall | OOS precision | macro F1 "
        "| tuned accuracy | tuned OOS recall | train s | parse p50 ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        c, t = row["calibrated"], row["tuned"]
        lines.append(
            f"| {row['set']} | {pct(c['accuracy'])} | {pct(c['in_scope_accuracy'])}"
            f" | {pct(c['oos_recall'])} | {pct(c['oos_precision'])}"
            f" | {c['macro_f1']:.3f} | {pct(t['accuracy'])} | {pct(t['oos_recall'])}"
            f" | {row['train_seconds']:.0f} | {row['parse_ms_p50']:.1f} |"
        )
    means = mean_accuracies(rows)
    lines.append(
        f"| **mean** | {pct(means['calibrated'])} | | | | | {pct(means['tuned'])}"
        " | | | |"
    )
    return "\n".join(lines) + "\n"


def mean_accuracies(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Mean overall accuracy, calibrated and tuned, over every set but CLINC150 full.

    CLINC150 full has its own targets (in-scope and OOS recall); the mean is
    over the small-bot sets and the few-shot files.
    """
    small = [row for row in rows if row["set"] != "clinc150"] or rows
    return {
        column: round(sum(r[column]["accuracy"] for r in small) / len(small), 4)
        for column in ("calibrated", "tuned")
    }


def main(argv: list[str] | None = None) -> int:
    """Runs the suite; prints the table; writes the JSON and the Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--out", type=Path, default=Path("bench/figures/routing-suite.json")
    )
    args = parser.parse_args(argv)
    quiet_logs()
    if not (args.data / "intent-oos").is_dir():
        print(
            f"No routing data in {args.data} (--data, or SUITE_DATA=)", file=sys.stderr
        )
        return 2
    sets = [s for s in suite_sets(args.data) if not args.only or s.name in args.only]
    if not sets:
        print(f"No set named {args.only} in {args.data}", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-routing-suite-") as tmp:
        for item in tqdm(sets, desc="routing suite", unit="set", file=sys.stderr):
            rows.append(run_set(args.config, item, Path(tmp) / item.name))
    table = markdown(rows)
    report = {
        "benchmark": "routing-suite",
        "config": str(args.config),
        "sets": rows,
        "mean_accuracy": mean_accuracies(rows),
        "machine": machine(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(table)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
