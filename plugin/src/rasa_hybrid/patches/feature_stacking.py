"""Stacks a message's features side by side without scipy's general ``hstack``.

Every parse, DIET and the intent classifier each ask Rasa 3.6 for a
message's sparse features, and Rasa stacks the four featurizers' matrices
(regex, lexical, word and character counts) one pair at a time with
``scipy.sparse.hstack``, after deep-copying the first: ~10 % of the NLU
server's CPU time per parse (py-spy, `make bench-load`). The stacked matrix
is plain arithmetic on the matrices' coordinates: the rows stay, the columns
of each matrix move right by the widths of the ones before it. This replaces
``Message._combine_features`` with that, for sparse and dense features alike.
The result equals Rasa's (same shape, values and dtype; a COO matrix, as
``hstack`` returns) and the inputs are not touched.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message

_ORIGINAL = Message._combine_features


def stack(matrices: list) -> np.ndarray | scipy.sparse.coo_matrix:
    """The matrices side by side (all sparse or all dense, equal row counts)."""
    rows = {matrix.shape[0] for matrix in matrices}
    if len(rows) != 1:
        raise ValueError(f"Cannot stack features with row counts {sorted(rows)}.")
    if not scipy.sparse.issparse(matrices[0]):
        return np.concatenate(matrices, axis=-1)
    parts = [matrix.tocoo() for matrix in matrices]
    offsets = np.cumsum([0] + [part.shape[1] for part in parts[:-1]])
    return scipy.sparse.coo_matrix(
        (
            np.concatenate([part.data for part in parts]),
            (
                np.concatenate([part.row for part in parts]),
                np.concatenate(
                    [
                        part.col + offset
                        for part, offset in zip(parts, offsets, strict=True)
                    ]
                ),
            ),
        ),
        shape=(rows.pop(), int(sum(part.shape[1] for part in parts))),
    )


def combine_features(
    features: list[Features], featurizers: list[str]
) -> Features | None:
    """``Message._combine_features``: one ``Features`` holding all of them."""
    if not features:
        return None
    first = features[0]
    kinds = {feature.is_sparse() for feature in features}
    if len(kinds) != 1:
        raise ValueError("Cannot combine sparse and dense features.")
    # A new matrix even for one feature: Rasa hands out a copy, never the original.
    matrix = stack([feature.features for feature in features])
    return Features(matrix, first.type, first.attribute, featurizers)


def install() -> None:
    """Makes Rasa stack features this way (idempotent)."""
    Message._combine_features = staticmethod(combine_features)


def uninstall() -> None:
    """Gives Rasa its own stacking back (for comparisons)."""
    Message._combine_features = staticmethod(_ORIGINAL)


def installed() -> bool:
    """Whether Rasa stacks features this way."""
    return Message._combine_features is combine_features
