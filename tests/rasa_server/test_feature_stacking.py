"""Feature stacking: the same result as Rasa's, without scipy's hstack."""

import asyncio
import copy
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.training_data.features import Features
from rasa_hybrid.patches import feature_stacking

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def sparse(rows, cols, seed, dtype=np.float64):
    return scipy.sparse.random(
        rows, cols, density=0.3, format="coo", random_state=seed, dtype=dtype
    )


def features(*matrices):
    return [
        Features(matrix, "sequence", "text", f"featurizer_{i}")
        for i, matrix in enumerate(matrices)
    ]


def same_matrix(a, b):
    if scipy.sparse.issparse(a):
        return a.shape == b.shape and (a != b).nnz == 0
    return np.array_equal(a, b)


@pytest.mark.parametrize(
    "matrices",
    [
        [sparse(4, 7, 1), sparse(4, 3, 2), sparse(4, 11, 3), sparse(4, 1, 4)],
        [sparse(1, 5, 5, np.float32), sparse(1, 2, 6, np.float64)],
        [sparse(3, 6, 7)],
        [scipy.sparse.coo_matrix((2, 4)), sparse(2, 3, 8)],  # one matrix empty
        [np.ones((3, 4), np.float32), np.arange(6, dtype=np.float32).reshape(3, 2)],
    ],
)
def test_stacking_equals_rasas(matrices):
    given = features(*matrices)
    before = copy.deepcopy(given)
    names = [f.origin for f in given]
    expected = feature_stacking._ORIGINAL(copy.deepcopy(given), names)
    got = feature_stacking.combine_features(given, names)
    assert got.type == expected.type and got.attribute == expected.attribute
    assert got.origin == expected.origin == names
    assert got.features.shape == expected.features.shape
    assert got.features.dtype == expected.features.dtype
    if got.is_sparse():
        assert got.features.format == expected.features.format == "coo"
    assert same_matrix(got.features, expected.features)
    # The inputs are untouched and the result shares no matrix with them.
    for original, now in zip(before, given, strict=True):
        assert same_matrix(original.features, now.features)
    assert all(got.features is not f.features for f in given)


def test_what_rasa_refuses_is_refused():
    assert feature_stacking.combine_features([], []) is None
    with pytest.raises(ValueError, match="row counts"):
        feature_stacking.combine_features(
            features(sparse(2, 3, 1), sparse(3, 3, 2)), []
        )
    mixed = features(sparse(2, 3, 1), np.ones((2, 2)))
    with pytest.raises(ValueError, match="sparse and dense"):
        feature_stacking.combine_features(mixed, [])


def test_the_trained_model_parses_the_same_with_it():
    from rasa.core.agent import Agent

    model = PROJECT_ROOT / "models" / "acme.tar.gz"
    if not model.is_file():
        pytest.skip("no trained model (make train)")
    agent = Agent.load(str(model))
    texts = [
        "where is my order A-1234",
        "book a technician for my washer, zip 10001",
        "my email is jo@example.com",
        "thanks",
        "",
    ]

    def parse_all():
        return [asyncio.run(agent.parse_message(text)) for text in texts]

    feature_stacking.uninstall()
    assert not feature_stacking.installed()
    expected = parse_all()
    try:
        feature_stacking.install()
        feature_stacking.install()  # idempotent
        assert feature_stacking.installed()
        got = parse_all()
    finally:
        feature_stacking.uninstall()
    for before, after in zip(expected, got, strict=True):
        assert after["intent"]["name"] == before["intent"]["name"]
        assert after["intent"]["confidence"] == pytest.approx(
            before["intent"]["confidence"], abs=1e-6
        )
        assert [(e["entity"], e["value"]) for e in after["entities"]] == [
            (e["entity"], e["value"]) for e in before["entities"]
        ]
