"""Pure functions of the routing benchmark.

They read labelled CSV files, score predictions with out-of-scope as a class,
and choose fallback thresholds.

No Rasa here: bench/routing.py trains and parses; these only count.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    """One labelled utterance."""

    text: str
    label: str


@dataclass(frozen=True)
class Parsed:
    """What the pipeline said about one utterance, before the fallback decision.

    ``intent`` and ``confidence`` are the classifier's top choice, ``runner_up``
    the second confidence; ``forced`` is true when a component sent the message
    to fallback whatever the classifier said (unreadable input).
    """

    intent: str
    confidence: float
    runner_up: float = 0.0
    forced: bool = False


def read_examples(path: str | Path) -> list[Example]:
    """The rows of a CSV file with a header row: utterance first, label second.

    Blank utterances and rows with fewer than two columns are errors: a
    benchmark that silently skipped them would measure something else.
    """
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if len(rows) < 2:
        raise ValueError(f"{path}: a header row and at least one example expected.")
    examples = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise ValueError(f"{path}, line {number}: utterance and label expected.")
        examples.append(Example(row[0].strip(), row[1].strip()))
    return examples


def decide(parsed: Parsed, threshold: float, ambiguity: float, oos_label: str) -> str:
    """The routed label: ``oos_label`` when the turn would fall back."""
    if (
        parsed.forced
        or parsed.intent == oos_label
        or parsed.confidence < threshold
        or parsed.confidence - parsed.runner_up < ambiguity
    ):
        return oos_label
    return parsed.intent


def score(gold: Sequence[str], predicted: Sequence[str], oos_label: str) -> dict:
    """Accuracy, in-scope accuracy, out-of-scope recall and precision, macro F1.

    Out of scope is one class among the others for accuracy and macro F1 (the
    classes are the gold labels, out of scope included).
    """
    if len(gold) != len(predicted) or not gold:
        raise ValueError("gold and predicted must be non-empty and equally long")
    pairs = list(zip(gold, predicted, strict=True))
    in_scope = [(g, p) for g, p in pairs if g != oos_label]
    oos_gold = len(pairs) - len(in_scope)
    oos_predicted = sum(p == oos_label for _, p in pairs)
    oos_hit = sum(g == oos_label and p == oos_label for g, p in pairs)
    return {
        "accuracy": _share(sum(g == p for g, p in pairs), len(pairs)),
        "in_scope_accuracy": _share(sum(g == p for g, p in in_scope), len(in_scope)),
        "oos_recall": _share(oos_hit, oos_gold),
        "oos_precision": _share(oos_hit, oos_predicted),
        "macro_f1": macro_f1(gold, predicted),
        "n_test": len(pairs),
        "n_in_scope": len(in_scope),
        "n_oos": oos_gold,
    }


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """The mean over gold classes of each class's F1."""
    hits = Counter(g for g, p in zip(gold, predicted, strict=True) if g == p)
    said = Counter(predicted)
    real = Counter(gold)
    f1s = [2 * hits[label] / (said[label] + real[label]) for label in real]
    return round(sum(f1s) / len(f1s), 4)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


#: Candidate fallback thresholds: steps of 0.001 below 0.1, where confidences
#: scaled down by the novelty penalty (rasa_hybrid/nlu/novelty.py) fall, then 0.01.
THRESHOLDS = tuple(i / 1000 for i in range(100)) + tuple(
    i / 100 for i in range(10, 100)
)


def choose_thresholds(
    gold: Sequence[str],
    parsed: Sequence[Parsed],
    oos_label: str,
    min_in_scope_accuracy: float,
    thresholds: Iterable[float] = THRESHOLDS,
    ambiguities: Iterable[float] = (0.0, 0.05, 0.1, 0.15, 0.2),
) -> dict:
    """The fallback thresholds validation data supports.

    That is the (threshold, ambiguity) with the best out-of-scope recall whose
    in-scope accuracy stays at or above ``min_in_scope_accuracy``; ties go to the
    lower threshold. Without any such pair, the one with the best in-scope
    accuracy. Meant for validation data, never for test data.
    """
    best_key, best = None, None
    for ambiguity in ambiguities:
        for threshold in thresholds:
            routed = [decide(p, threshold, ambiguity, oos_label) for p in parsed]
            figures = score(gold, routed, oos_label)
            accuracy = figures["in_scope_accuracy"] or 0.0
            recall = figures["oos_recall"] or 0.0
            meets = accuracy >= min_in_scope_accuracy
            key = (meets, recall if meets else accuracy, -threshold, -ambiguity)
            if best_key is None or key > best_key:
                best_key = key
                best = {"threshold": threshold, "ambiguity_threshold": ambiguity}
                best.update(figures)
    assert best is not None
    best["meets_floor"] = bool(best_key[0])
    return best


def best_accuracy_threshold(
    gold: Sequence[str],
    parsed: Sequence[Parsed],
    oos_label: str,
    thresholds: Iterable[float] = THRESHOLDS,
    balanced: bool = False,
) -> float:
    """The threshold (no ambiguity rule) with the best overall accuracy.

    With ``balanced`` the criterion is the mean of in-scope accuracy and
    out-of-scope recall instead, for tuning rows whose mix of the two is an
    artefact of the split rather than the customers'. Ties go to the lower
    threshold. Meant for validation data, never for test.
    """
    best_key, best = None, 0.0
    for threshold in thresholds:
        routed = [decide(p, threshold, 0.0, oos_label) for p in parsed]
        key = (_criterion(score(gold, routed, oos_label), balanced), -threshold)
        if best_key is None or key > best_key:
            best_key, best = key, threshold
    return best


def _criterion(report: dict, balanced: bool) -> float:
    if not balanced:
        return report["accuracy"] or 0.0
    known = [
        part
        for part in (report["in_scope_accuracy"], report["oos_recall"])
        if part is not None
    ]
    return sum(known) / len(known) if known else 0.0
