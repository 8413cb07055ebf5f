"""`make bench-routing` on a small data set made from the assistant's own NLU data.

The full run on CLINC150 (../shared/data/clinc150, ~15 minutes) is in the
README's evaluation section; this proves the program trains the project's
pipeline, parses, scores and writes its JSON on any such CSV files.
"""

import csv
import json
import re
import subprocess

from devtools.servers import PROJECT_ROOT
from tests.unit.test_training_data import nlu_examples

IN_SCOPE = ("greet", "thank", "track_order", "book_appointment", "request_human")


def plain(text):
    """'[washer](appliance)' -> 'washer'."""
    return re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)


def write(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["utterance", "intent"])
        writer.writerows(rows)


def make(*args):
    return subprocess.run(
        ["make", "--no-print-directory", "bench-routing", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_bench_routing_trains_parses_scores_and_writes_json(tmp_path):
    examples = nlu_examples()
    train, val, test = [], [], []
    for intent in IN_SCOPE:
        texts = [plain(t) for t in examples[intent]]
        train += [(t, intent) for t in texts[:-8]]
        val += [(t, intent) for t in texts[-8:-4]]
        test += [(t, intent) for t in texts[-4:]]
    outside = [plain(t) for t in examples["out_of_scope"]]
    val += [(t, "none") for t in outside[:10]]
    test += [(t, "none") for t in outside[10:20]]
    for name, rows in (("train", train), ("val", val), ("test", test)):
        write(tmp_path / f"{name}.csv", rows)
    out = tmp_path / "routing.json"

    result = make(
        f"TRAIN={tmp_path}/train.csv",
        f"TEST={tmp_path}/test.csv",
        f"VAL={tmp_path}/val.csv",
        "OOS_LABEL=none",
        f"OUT={out}",
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert "Training on" in result.stderr and "Parsed 30 of 30 test" in result.stderr
    figures = json.loads(out.read_text())
    assert figures["n_test"] == len(test) == 30
    assert (figures["n_in_scope"], figures["n_oos"], figures["n_train_oos"]) == (
        20,
        10,
        0,
    )
    for key in ("accuracy", "in_scope_accuracy", "oos_recall", "oos_precision"):
        assert 0.0 <= figures[key] <= 1.0, key
    assert figures["in_scope_accuracy"] >= 0.8  # five easy intents
    assert 0.0 < figures["macro_f1"] <= 1.0
    assert figures["train_seconds"] > 0
    assert 0 < figures["parse_ms_p50"] <= figures["parse_ms_p95"]
    assert figures["fallback"]["threshold"] is not None
    chosen = figures["validation"]["chosen"]
    assert 0.0 <= chosen["threshold"] < 1.0
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("routing: accuracy") and "validation suggests" in summary


def test_bench_routing_says_how_to_call_it():
    result = make("TRAIN=x.csv")
    assert result.returncode != 0
    assert "Usage: make bench-routing" in result.stdout + result.stderr
