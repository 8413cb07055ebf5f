"""bench/routing_suite.py on a small data tree, with a fast real pipeline."""

import csv
import json
import subprocess
from pathlib import Path

from bench.routing_suite import OOS, main, mean_accuracies, suite_sets

CONFIG = Path(__file__).parents[1] / "data" / "routing_suite" / "config.yml"
INTENTS = {
    "greet": ["hello", "hi there", "good morning", "hey", "hello friend", "hiya"],
    "track": [
        "where is my order",
        "track my parcel",
        "order status",
        "where is my package",
        "has my order shipped",
        "track order please",
    ],
    "book": [
        "book a repair",
        "schedule a technician",
        "book a visit",
        "i need a repair visit",
        "send a technician",
        "schedule a repair please",
    ],
}
UNRELATED = [
    "what's the capital of france",
    "quantum zebra violin",
    "recommend a jazz album",
    "how tall is everest",
]


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)


def _tree(root: Path) -> Path:
    examples = [(t, i) for i, texts in INTENTS.items() for t in texts]
    train = [(f"{t} {w}", i) for t, i in examples for w in ("", "now", "thanks")]
    held = [(f"please {t}", i) for t, i in examples]
    oos = [(text, OOS) for text in UNRELATED]
    _write(root / "intent-oos" / "tiny-oos" / "train.csv", train)
    _write(root / "intent-oos" / "tiny-oos" / "valid.csv", held[::2] + oos[:2])
    _write(root / "intent-oos" / "tiny-oos" / "test.csv", held[1::2] + oos[2:])
    _write(root / "clinc150" / "train.csv", [*train, ("random words", OOS)])
    _write(root / "clinc150" / "val.csv", held[::2] + oos[:2])
    _write(root / "clinc150" / "test.csv", held[1::2] + oos[2:])
    few = [(t, i) for t, i in train if "thanks" not in t]
    _write(root / "intent-oos" / "clinc150-fewshot" / "train8.csv", few)
    return root


def test_the_sets_are_found_and_train_on_in_scope_rows_only(tmp_path):
    sets = {s.name: s for s in suite_sets(_tree(tmp_path))}
    assert sorted(sets) == ["clinc150", "clinc150-8shot", "tiny-oos"]
    assert all(row.label != OOS for s in sets.values() for row in s.train)
    assert sets["clinc150-8shot"].val is None
    assert sets["clinc150-8shot"].test == sets["clinc150"].test


def test_the_suite_trains_parses_and_writes_both_columns(tmp_path):
    data = _tree(tmp_path / "data")
    out = tmp_path / "suite.json"
    assert main(["--config", str(CONFIG), "--data", str(data), "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = {row["set"]: row for row in report["sets"]}
    assert sorted(rows) == ["clinc150", "clinc150-8shot", "tiny-oos"]
    for row in rows.values():
        for column in ("calibrated", "tuned"):
            assert 0.0 <= row[column]["accuracy"] <= 1.0
            assert row[column]["n_test"] == 11
        assert 0.0 <= row["calibrated_valid"]["accuracy"] <= 1.0
        assert row["train_seconds"] > 0
        assert row["parse_ms_p50"] > 0
    # The calibrated threshold, learnt without any out-of-scope row, catches
    # unrelated test questions.
    assert rows["tiny-oos"]["calibrated"]["oos_recall"] > 0
    assert report["mean_accuracy"] == mean_accuracies(report["sets"])
    table = out.with_suffix(".md").read_text()
    assert table.count("\n") == 2 + 3 + 1
    assert "| tiny-oos |" in table


def test_an_unknown_set_is_an_error(tmp_path):
    data = _tree(tmp_path)
    assert main(["--data", str(data), "--only", "nope"]) == 2


def test_the_make_target_runs_the_suite(tmp_path):
    # An unknown set stops before any training: the target's wiring alone.
    data = _tree(tmp_path)
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "bench-routing-suite",
            "ONLY=nope",
            f"SUITE_DATA={data}",
        ],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode != 0
    assert "No set named ['nope']" in done.stderr


def test_missing_data_is_named_before_anything_runs(tmp_path, capsys):
    from bench.routing_suite import main

    assert main(["--data", str(tmp_path / "none")]) == 2
    assert "No routing data in" in capsys.readouterr().err
