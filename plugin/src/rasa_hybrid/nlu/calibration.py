"""A fallback threshold from in-scope examples alone: out-of-fold confidences.

A bot owner has no out-of-scope examples, so the threshold below which a
message is not a known task cannot be tuned on them. What the owner has is the
examples themselves: each one scored by a model trained without its fold is a
fair sample of how confident the model is on a new in-scope message. The
threshold is the quantile of those confidences that keeps a stated share of
them above it; whatever scores lower than most unseen in-scope messages is
treated as open-ended.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: The message attribute that carries the calibrated threshold to the fallback.
FALLBACK_THRESHOLD = "calibrated_fallback_threshold"


def stratified_folds(labels: np.ndarray, folds: int, seed: int = 0) -> np.ndarray:
    """Each example's fold, every label spread over the folds as evenly as it can."""
    labels = np.asarray(labels)
    folds = max(2, min(int(folds), len(labels)))
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=int)
    offset = 0
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        # The offset carries on from the last label, so labels with fewer
        # examples than folds do not all land in the first folds.
        assignment[members] = (np.arange(len(members)) + offset) % folds
        offset += len(members)
    return assignment


def out_of_fold_probabilities(
    fit: Callable[[Any, np.ndarray], Any],
    X: Any,
    y: np.ndarray,
    assignment: np.ndarray,
    n_classes: int,
) -> np.ndarray:
    """Class probabilities of each example from a model fitted without its fold.

    ``fit(X, y)`` returns a model with ``predict_proba`` and ``classes_``; a
    class missing from a fold's training part gets probability 0 there.
    """
    y = np.asarray(y)
    probabilities = np.zeros((len(y), n_classes))
    for number in np.unique(assignment):
        held_out = np.flatnonzero(assignment == number)
        kept = np.flatnonzero(assignment != number)
        if len(np.unique(y[kept])) < 2:
            continue
        model = fit(X[kept], y[kept])
        probabilities[np.ix_(held_out, model.classes_)] = model.predict_proba(
            X[held_out]
        )
    return probabilities


def calibrated_threshold(confidences: np.ndarray, share: float) -> float:
    """The confidence that keeps ``share`` of ``confidences`` at or above it."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"fallback_share must be in (0, 1], not {share}")
    values = np.asarray(confidences, dtype=np.float64)
    if values.size == 0:
        raise ValueError("no confidences to calibrate a threshold on")
    return float(np.quantile(values, 1.0 - share, method="lower"))
