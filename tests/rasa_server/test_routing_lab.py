"""bench/routing_lab.py: its splits, thresholds and score combination."""

import numpy as np
import pytest

from bench.routing_lab import (
    OOS,
    Scored,
    best_threshold,
    combine,
    evaluate,
    few_shot_split,
    knn_cos,
)
from bench.routing_metrics import Example


def _rows(intents: int, shots: int) -> list[Example]:
    return [
        Example(f"{intent} example {n}", f"intent{intent}")
        for intent in range(intents)
        for n in range(shots)
    ]


def test_few_shot_split_holds_out_a_quarter_of_the_intents_as_oos():
    train, val = few_shot_split(_rows(8, 5))
    oos = [row for row in val if row.label == OOS]
    assert len(oos) == 2 * 5
    held = {row.text.split()[0] for row in oos}
    assert not held & {row.text.split()[0] for row in train}
    # One example of every remaining intent is in-scope validation data.
    assert sorted(row.label for row in val if row.label != OOS) == sorted(
        {row.label for row in train}
    )
    assert len(train) == 6 * 4
    assert not {row.text for row in train} & {row.text for row in val}


def test_evaluate_counts_what_the_threshold_sends_to_oos():
    scored = Scored(np.array(["a", "b", "a", "b"]), np.array([0.9, 0.2, 0.8, 0.1]))
    gold = ["a", "b", OOS, OOS]
    result = evaluate(gold, scored, 0.5)
    assert result == {"accuracy": 0.5, "in_scope": 0.5, "oos_recall": 0.5}
    # Keeping the 0.9 alone: "a" right, "b" lost, both OOS caught.
    assert best_threshold(gold, scored)[1]["accuracy"] == pytest.approx(0.75)
    perfect = Scored(scored.intent, np.array([0.9, 0.8, 0.2, 0.1]))
    assert best_threshold(gold, perfect)[1]["accuracy"] == 1.0


def test_combine_standardises_each_score_on_its_own_reference():
    first = Scored(np.array(["a", "b"]), np.array([1.0, 3.0]))
    second = Scored(np.array(["b", "b"]), np.array([30.0, 10.0]))
    combined = combine([first, second], [np.array([1.0, 3.0]), np.array([10, 30.0])])
    assert list(combined.intent) == ["a", "b"]
    np.testing.assert_allclose(combined.score, [0.0, 0.0])


def test_knn_scores_the_nearest_examples_cosine():
    train = np.array([[1.0, 0.0], [0.0, 1.0]])
    query = np.array([[0.6, 0.8]])
    scored = knn_cos((None, train), np.array(["x", "y"]), (None, query))
    assert list(scored.intent) == ["y"]
    assert scored.score[0] == pytest.approx(0.8)
