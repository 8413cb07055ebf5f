"""Benchmark: how well the NLU pipeline tells known tasks from open-ended turns.

Works on any labelled data set.

Trains the pipeline of ``config.yml`` (same components, same thresholds) on a
training CSV in a temporary project, parses every test utterance, and counts a
fallback (or the out-of-scope label itself) as "out of scope". Training rows
with the out-of-scope label, if any, are trained as that intent.

    python -m bench.routing --train T.csv --test S.csv --oos-label oos
        [--val V.csv] [--out bench/routing.json]

With ``--val``, it also parses the validation file and reports the fallback
thresholds that validation data supports (best out-of-scope recall with
in-scope accuracy at or above ``--min-in-scope``): that is how the thresholds
in config.yml are chosen. Test data never chooses anything.

Runs in the Rasa environment (it imports Rasa); `make bench-routing` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rasa_hybrid.text import is_readable

from bench.routing_metrics import (
    Example,
    Parsed,
    choose_thresholds,
    read_examples,
    score,
)
from bench.stats import percentile

FALLBACK = "nlu_fallback"


def say(text: str) -> None:
    """Progress on stderr, flushed at once."""
    print(text, file=sys.stderr, flush=True)


def quiet_logs() -> None:
    """Progress and the components' own lines; no debug line per parsed message."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for noisy in ("rasa", "tensorflow", "absl", "transformers"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("components").setLevel(logging.INFO)


def fallback_settings(config_path: Path) -> dict[str, Any]:
    """The FallbackClassifier's and UnreadableInputClassifier's settings."""
    config = yaml.safe_load(config_path.read_text())
    settings: dict[str, Any] = {"threshold": None, "ambiguity_threshold": None}
    for component in config.get("pipeline", []):
        name = str(component.get("name", ""))
        if name.endswith("FallbackClassifier"):
            # "calibrated" (CalibratedFallbackClassifier) is learnt per model.
            threshold = component.get("threshold", 0.3)
            settings["threshold"] = (
                threshold if isinstance(threshold, str) else float(threshold)
            )
            calibrated = name.endswith("CalibratedFallbackClassifier")
            settings["ambiguity_threshold"] = float(
                component.get("ambiguity_threshold", 0.0 if calibrated else 0.1)
            )
        if name.endswith("UnreadableInputClassifier"):
            settings["min_latin_share"] = float(component.get("min_latin_share", 0.5))
    return settings


def train(config: Path, examples: list[Example], workdir: Path) -> tuple[str, float]:
    """Trains an NLU model on ``examples``; returns its path and the seconds taken.

    Rasa's training cache lives in ``workdir`` too: a cache shared with earlier
    runs would restore trained components and make the time meaningless.
    """
    os.environ["RASA_CACHE_DIRECTORY"] = str(workdir / "cache")
    from rasa.model_training import train_nlu
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = TrainingData([Message.build(text=e.text, intent=e.label) for e in examples])
    nlu_file = workdir / "nlu.yml"
    nlu_file.write_text(data.nlu_as_yaml(), encoding="utf-8")
    say(f"Training on {len(examples)} examples, {len(data.intents)} intents...")
    started = time.perf_counter()
    model = train_nlu(
        str(config), str(nlu_file), str(workdir / "models"), fixed_model_name="bench"
    )
    seconds = time.perf_counter() - started
    if not model:
        raise RuntimeError("Training produced no model.")
    say(f"Trained in {seconds:.0f} s.")
    return str(model), seconds


def to_parsed(result: dict[str, Any], forced: bool) -> Parsed:
    """The classifier's own top two choices, whatever the fallback made of them."""
    ranking = [
        r for r in result.get("intent_ranking") or [] if r.get("name") != FALLBACK
    ]
    if not ranking:
        return Parsed(FALLBACK, 0.0, 0.0, True)
    runner_up = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
    return Parsed(
        str(ranking[0]["name"]), float(ranking[0]["confidence"]), runner_up, forced
    )


def parse_all(
    agent: Any, examples: list[Example], what: str, min_latin_share: float
) -> tuple[list[str], list[Parsed], list[float]]:
    """Parses every utterance: routed intents, the classifier's view, latencies."""

    async def run() -> tuple[list[str], list[Parsed], list[float]]:
        routed, parsed, latencies = [], [], []
        for index, example in enumerate(examples, start=1):
            started = time.perf_counter()
            result = await agent.parse_message(example.text)
            latencies.append((time.perf_counter() - started) * 1000)
            routed.append(str((result.get("intent") or {}).get("name")))
            forced = not is_readable(example.text, min_latin_share)
            parsed.append(to_parsed(result, forced))
            if index % 500 == 0 or index == len(examples):
                say(f"Parsed {index} of {len(examples)} {what} utterances")
        return routed, parsed, latencies

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; prints a summary line; writes the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", required=True, type=Path)
    parser.add_argument("--test", required=True, type=Path)
    parser.add_argument("--oos-label", required=True)
    parser.add_argument("--val", type=Path)
    parser.add_argument("--config", type=Path, default=Path("config.yml"))
    parser.add_argument("--out", type=Path, default=Path("bench/routing.json"))
    parser.add_argument("--min-in-scope", type=float, default=0.955)
    args = parser.parse_args(argv)
    quiet_logs()

    train_rows = read_examples(args.train)
    test_rows = read_examples(args.test)
    val_rows = read_examples(args.val) if args.val else []
    oos = args.oos_label
    settings = fallback_settings(args.config)
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as tmp:
        model, train_seconds = train(args.config, train_rows, Path(tmp))
        from rasa.core.agent import Agent

        agent = Agent.load(model)
        share = settings.get("min_latin_share", 0.5)
        routed, _, latencies = parse_all(agent, test_rows, "test", share)
        val_routed, val_parsed = [], []
        if val_rows:
            val_routed, val_parsed, _ = parse_all(agent, val_rows, "validation", share)

    def label(intent: str) -> str:
        return oos if intent in (FALLBACK, oos) else intent

    figures = score([e.label for e in test_rows], [label(i) for i in routed], oos)
    report: dict[str, Any] = {
        "benchmark": "routing",
        "train_file": str(args.train),
        "test_file": str(args.test),
        "oos_label": oos,
        **figures,
        "n_train": len(train_rows),
        "n_train_oos": sum(e.label == oos for e in train_rows),
        "train_seconds": round(train_seconds, 1),
        "parse_ms_p50": round(percentile(latencies, 0.50), 2),
        "parse_ms_p95": round(percentile(latencies, 0.95), 2),
        "fallback": settings,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    if val_rows:
        gold = [e.label for e in val_rows]
        report["validation"] = {
            "file": str(args.val),
            "at_config": score(gold, [label(i) for i in val_routed], oos),
            "chosen": choose_thresholds(gold, val_parsed, oos, args.min_in_scope),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(summary(report))
    return 0


def summary(report: dict[str, Any]) -> str:
    """The one-line summary printed at the end."""

    def pct(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    line = (
        f"routing: accuracy {pct(report['accuracy'])}, in-scope "
        f"{pct(report['in_scope_accuracy'])}, oos recall {pct(report['oos_recall'])}"
        f", oos precision {pct(report['oos_precision'])}, macro F1 "
        f"{report['macro_f1']:.3f}, train {report['train_seconds']:.0f} s, parse "
        f"p50 {report['parse_ms_p50']:.1f} ms p95 {report['parse_ms_p95']:.1f} ms,"
        f" n={report['n_test']}"
    )
    if "validation" in report:
        chosen = report["validation"]["chosen"]
        line += (
            f"; validation suggests threshold {chosen['threshold']:.3g}, ambiguity "
            f"{chosen['ambiguity_threshold']:.3g} (in-scope "
            f"{pct(chosen['in_scope_accuracy'])}, oos recall "
            f"{pct(chosen['oos_recall'])})"
        )
    return line


if __name__ == "__main__":
    sys.exit(main())
