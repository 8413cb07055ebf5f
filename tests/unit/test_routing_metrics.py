import pytest

from bench.routing import summary
from bench.routing_metrics import (
    Parsed,
    choose_thresholds,
    decide,
    macro_f1,
    read_examples,
    score,
)


def write(tmp_path, text):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_utterance_and_label_after_the_header(tmp_path):
    path = write(tmp_path, 'text,label\nhi there,greet\n"hello, you",greet\n')
    rows = read_examples(path)
    assert [(r.text, r.label) for r in rows] == [
        ("hi there", "greet"),
        ("hello, you", "greet"),
    ]


@pytest.mark.parametrize(
    "content", ["text,label\n", "", "text,label\nno label here\n", "t,l\n ,greet\n"]
)
def test_malformed_files_are_errors_not_silently_skipped(tmp_path, content):
    with pytest.raises(ValueError):
        read_examples(write(tmp_path, content))


@pytest.mark.parametrize(
    "parsed, expected",
    [
        (Parsed("greet", 0.9, 0.05), "greet"),
        (Parsed("greet", 0.3, 0.05), "oos"),  # below the threshold
        (Parsed("greet", 0.5, 0.45), "oos"),  # too close to the runner-up
        (Parsed("oos", 0.99, 0.0), "oos"),  # the out-of-scope class itself
        (Parsed("greet", 0.99, 0.0, forced=True), "oos"),  # unreadable
    ],
)
def test_decide_routes_like_the_fallback_classifier(parsed, expected):
    assert decide(parsed, threshold=0.4, ambiguity=0.1, oos_label="oos") == expected


def test_score_counts_out_of_scope_as_a_class():
    gold = ["a", "a", "b", "oos", "oos"]
    predicted = ["a", "oos", "b", "oos", "a"]
    figures = score(gold, predicted, "oos")
    assert figures["accuracy"] == 0.6
    assert figures["in_scope_accuracy"] == round(2 / 3, 4)
    assert figures["oos_recall"] == 0.5
    assert figures["oos_precision"] == 0.5
    # F1: a 1/2 (one of two found, one of two claims right), b 1, oos 1/2.
    assert figures["macro_f1"] == round((0.5 + 1 + 0.5) / 3, 4)
    assert (figures["n_test"], figures["n_in_scope"], figures["n_oos"]) == (5, 3, 2)


def test_score_without_out_of_scope_rows_has_no_recall():
    figures = score(["a", "b"], ["a", "a"], "oos")
    assert figures["oos_recall"] is None
    assert figures["oos_precision"] == 0.0 or figures["oos_precision"] is None


def test_macro_f1_is_perfect_only_when_all_right():
    assert macro_f1(["a", "b"], ["a", "b"]) == 1.0
    assert macro_f1(["a", "b"], ["b", "a"]) == 0.0


def test_thresholds_trade_recall_for_accuracy_within_the_floor():
    gold = ["a", "a", "a", "a", "oos", "oos"]
    parsed = [
        Parsed("a", 0.95, 0.01),
        Parsed("a", 0.90, 0.01),
        Parsed("a", 0.60, 0.10),
        Parsed("b", 0.50, 0.20),  # wrong anyway
        Parsed("a", 0.55, 0.10),
        Parsed("a", 0.30, 0.20),
    ]
    chosen = choose_thresholds(gold, parsed, "oos", min_in_scope_accuracy=0.75)
    # Threshold 0.56..0.60 catches both out-of-scope rows and keeps 3 of 4.
    assert chosen["oos_recall"] == 1.0
    assert chosen["in_scope_accuracy"] == 0.75
    assert chosen["threshold"] == 0.56
    assert chosen["meets_floor"]
    strict = choose_thresholds(gold, parsed, "oos", min_in_scope_accuracy=1.0)
    assert not strict["meets_floor"]
    assert strict["in_scope_accuracy"] == 0.75


def test_the_summary_is_one_line():
    report = {
        **score(["a", "oos"], ["a", "oos"], "oos"),
        "train_seconds": 12.3,
        "parse_ms_p50": 9.1,
        "parse_ms_p95": 12.0,
    }
    line = summary(report)
    assert "\n" not in line
    assert "in-scope 100.0%" in line and "oos recall 100.0%" in line


def test_the_tuned_threshold_is_the_one_with_the_best_validation_accuracy():
    from bench.routing_metrics import best_accuracy_threshold

    parsed = [
        Parsed("a", 0.9, 0.0, False),
        Parsed("b", 0.6, 0.0, False),
        Parsed("a", 0.4, 0.0, False),
        Parsed("b", 0.3, 0.0, False),
    ]
    gold = ["a", "b", "oos", "oos"]
    threshold = best_accuracy_threshold(gold, parsed, "oos")
    assert 0.4 < threshold <= 0.6  # both oos caught, both in-scope kept
    assert best_accuracy_threshold(gold[:2], parsed[:2], "oos") == 0.0


def test_a_balanced_tuning_does_not_follow_a_split_that_is_mostly_out_of_scope():
    from bench.routing_metrics import best_accuracy_threshold

    # One in-scope row at 0.5 against four out-of-scope rows, two of them
    # above it: accuracy drops the in-scope row to catch them, balance keeps it.
    parsed = [
        Parsed("a", 0.5, 0.0, False),
        Parsed("a", 0.6, 0.0, False),
        Parsed("b", 0.55, 0.0, False),
        Parsed("b", 0.2, 0.0, False),
        Parsed("b", 0.1, 0.0, False),
    ]
    gold = ["a", "oos", "oos", "oos", "oos"]
    assert best_accuracy_threshold(gold, parsed, "oos") > 0.6
    assert 0.2 < best_accuracy_threshold(gold, parsed, "oos", balanced=True) <= 0.5
