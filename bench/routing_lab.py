"""Routing lab: out-of-scope scores compared on validation data, in seconds.

The routing suite (bench/routing_suite.py) trains the real pipeline on every
set, which takes a quarter of an hour. Choosing between ways of scoring "is
this a known intent?" needs many more runs than that, so this lab computes the
pipeline's features once per text (MiniLM sentence vectors from the plugin's
encoder; word and character n-gram counts from scikit-learn, as Rasa's
CountVectorsFeaturizer makes them), caches them, and tries each scorer on each
set's validation split. For the few-shot CLINC150 files, the validation split
is made from their own training data: a quarter of the intents are held out
as out-of-scope, and one example of each remaining intent as in-scope.

Test data is never read here.

    python -m bench.routing_lab [--out bench/figures/routing-lab.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse

from bench.routing_metrics import Example, read_examples

DATA = Path("../shared/data")
CACHE = Path("results/routing-lab")
OOS = "oos"


@dataclass
class Split:
    """Training rows (in-scope only) and validation rows (some ``oos``)."""

    name: str
    train: list[Example]
    val: list[Example]


def few_shot_split(rows: list[Example], seed: int = 0) -> tuple[list, list]:
    """Training rows split into (train, val): a quarter of intents become oos."""
    rng = np.random.default_rng(seed)
    intents = sorted({r.label for r in rows})
    held = set(rng.permutation(intents)[: len(intents) // 4])
    train, val, seen = [], [], set()
    for row in rows:
        if row.label in held:
            val.append(Example(row.text, OOS))
        elif row.label not in seen:
            seen.add(row.label)
            val.append(row)
        else:
            train.append(row)
    return train, val


def splits() -> list[Split]:
    """Every set of the suite, with the validation data it may be tuned on."""
    out = []
    for folder in ("clinc-banking-oos", "clinc-credit-cards-oos", "banking77-oos"):
        base = DATA / "intent-oos" / folder
        out.append(
            Split(
                folder,
                read_examples(base / "train.csv"),
                read_examples(base / "valid.csv"),
            )
        )
    for shots in (10, 5):
        few = DATA / "intent-oos" / "clinc150-fewshot" / f"train{shots}.csv"
        rows = read_examples(few)
        train, val = few_shot_split(rows)
        out.append(Split(f"clinc150-{shots}shot", train, val))
    full = [r for r in read_examples(DATA / "clinc150" / "train.csv") if r.label != OOS]
    out.append(Split("clinc150", full, read_examples(DATA / "clinc150" / "val.csv")))
    return out


def words(text: str) -> list[str]:
    """Roughly what Rasa's WhitespaceTokenizer keeps."""
    return re.findall(r"[\w']+", text) or [text]


def embed(texts: list[str]) -> np.ndarray:
    """Unit MiniLM sentence vectors, cached on disk by the texts' digest."""
    digest = hashlib.sha1("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"minilm-{digest}.npy"
    if path.exists():
        return np.load(path)
    from rasa_hybrid.encoders.location import encoder_folder
    from rasa_hybrid.nlu.minilm_featurizer import encoder

    model = encoder(str(encoder_folder()))
    vectors = []
    for start in range(0, len(texts), 64):
        batch = [words(t) for t in texts[start : start + 64]]
        vectors.extend(s for _, s in model.encode(batch, 128))
    array = np.vstack(vectors).astype(np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, array)
    return array


@dataclass
class Features:
    """Sparse n-gram block and dense MiniLM block of one split's texts."""

    sparse_train: scipy.sparse.csr_matrix
    sparse_val: scipy.sparse.csr_matrix
    dense_train: np.ndarray
    dense_val: np.ndarray


def featurize(split: Split) -> Features:
    """Word 1-2 grams and char_wb 2-5 grams (fitted on train), MiniLM vectors."""
    from sklearn.feature_extraction.text import CountVectorizer

    train = [e.text for e in split.train]
    val = [e.text for e in split.val]
    word = CountVectorizer(ngram_range=(1, 2), token_pattern=r"[\w']+").fit(train)
    char = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit(train)

    def sparse(texts: list[str]) -> scipy.sparse.csr_matrix:
        return scipy.sparse.hstack(
            [word.transform(texts), char.transform(texts)], format="csr"
        ).astype(np.float64)

    return Features(sparse(train), sparse(val), embed(train), embed(val))


def design(sparse: scipy.sparse.csr_matrix, dense: np.ndarray, weight: float):
    """The classifier's input: damped unit sparse block beside weighted dense."""
    from rasa_hybrid.nlu.linear_intent_classifier import message_vectors

    return message_vectors(sparse, dense, weight)


def fit_lr(X, y, C: float = 20.0):
    """The pipeline's logistic regression."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=1000).fit(X, y)


# --- scorers: (train features, labels, query features) -> (intent, score) ----


@dataclass
class Scored:
    """Each query's predicted intent index and in-scope score (higher: known)."""

    intent: np.ndarray
    score: np.ndarray


def lr_scores(ftr, y, fq, **_) -> Scored:
    """The linear classifier's top intent and its probability."""
    model = fit_lr(design(ftr[0], ftr[1], 2.0), y)
    p = model.predict_proba(design(fq[0], fq[1], 2.0))
    return Scored(model.classes_[p.argmax(1)], p.max(1))


def knn_cos(ftr, y, fq, k: int = 1, **_) -> Scored:
    """Mean cosine of the k nearest training examples; intent of the nearest."""
    sims = fq[1] @ ftr[1].T
    top = np.argsort(-sims, axis=1)[:, :k]
    return Scored(y[top[:, 0]], np.take_along_axis(sims, top, 1).mean(1))


def centroid_cos(ftr, y, fq, **_) -> Scored:
    """Cosine to the nearest intent mean."""
    names = np.unique(y)
    means = np.vstack([ftr[1][y == n].mean(0) for n in names])
    means /= np.linalg.norm(means, axis=1, keepdims=True)
    sims = fq[1] @ means.T
    return Scored(names[sims.argmax(1)], sims.max(1))


def rmd(ftr, y, fq, shrinkage: float = 0.5, **_) -> Scored:
    """Minus the relative Mahalanobis distance (the novelty penalty's)."""
    from rasa_hybrid.nlu.novelty import fit_gaussians, relative_distances

    g = fit_gaussians(ftr[1], y, shrinkage)
    names = np.unique(y)
    d = relative_distances(fq[1], g)
    return Scored(names[(fq[1] @ g.means.T).argmax(1)], -d)


def pipeline(ftr, y, fq, **_) -> Scored:
    """Today's pipeline: the classifier's probability times the novelty penalty."""
    from rasa_hybrid.nlu.novelty import (
        fit_gaussians,
        out_of_fold_distances,
        penalty,
        relative_distances,
    )

    scored = lr_scores(ftr, y, fq)
    own = out_of_fold_distances(ftr[1], y, 0.5, 5)
    d = relative_distances(fq[1], fit_gaussians(ftr[1], y, 0.5))
    factor = penalty(d, float(np.quantile(own, 0.9)), float(own.std()), 2.0)
    return Scored(scored.intent, scored.score * factor)


SCORERS: dict[str, Callable[..., Scored]] = {
    "lr": lr_scores,
    "knn1": knn_cos,
    "knn5": lambda *a, **k: knn_cos(*a, k=5),
    "centroid": centroid_cos,
    "rmd": rmd,
    "pipeline": pipeline,
}


def combine(parts: list[Scored], refs: list[np.ndarray]) -> Scored:
    """Mean of each score standardised on its own out-of-fold training scores."""
    z = [
        (p.score - r.mean()) / max(r.std(), 1e-9)
        for p, r in zip(parts, refs, strict=True)
    ]
    return Scored(parts[0].intent, np.mean(z, axis=0))


def out_of_fold(scorer, ftr, y, folds: int = 5) -> Scored:
    """Each training example scored by a model fitted without its fold."""
    n = len(y)
    fold = np.random.default_rng(0).permutation(n) % folds
    intent = np.empty(n, dtype=y.dtype)
    score = np.empty(n)
    for k in range(folds):
        held = fold == k
        s = scorer(
            (ftr[0][~held], ftr[1][~held]), y[~held], (ftr[0][held], ftr[1][held])
        )
        intent[held], score[held] = s.intent, s.score
    return Scored(intent, score)


def evaluate(gold, scored: Scored, threshold: float) -> dict:
    """Accuracy, in-scope accuracy and OOS recall at ``threshold``."""
    pred = np.where(scored.score >= threshold, scored.intent, OOS)
    gold = np.asarray(gold)
    ins = gold != OOS
    return {
        "accuracy": float((pred == gold).mean()),
        "in_scope": float((pred[ins] == gold[ins]).mean()),
        "oos_recall": float((pred[~ins] == OOS).mean()),
    }


def best_threshold(gold, scored: Scored) -> tuple[float, dict]:
    """The threshold with the best validation accuracy (for the tuned column)."""
    candidates = np.unique(np.quantile(scored.score, np.linspace(0, 1, 201)))
    results = [(t, evaluate(gold, scored, t)) for t in candidates]
    return max(results, key=lambda r: r[1]["accuracy"])


def main(argv: list[str] | None = None) -> int:
    """Scores every split's validation data with every method; writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=Path("bench/figures/routing-lab.json")
    )
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--keep", type=float, nargs="*", default=[0.8, 0.85, 0.9, 0.95])
    args = parser.parse_args(argv)
    report = {}
    combos = {
        "lr+knn1": ("lr", "knn1"),
        "lr+rmd": ("lr", "rmd"),
        "lr+knn1+rmd": ("lr", "knn1", "rmd"),
        "knn1+rmd": ("knn1", "rmd"),
    }
    for split in splits():
        if args.only and split.name not in args.only:
            continue
        started = time.perf_counter()
        f = featurize(split)
        y = np.array([e.label for e in split.train])
        gold = [e.label for e in split.val]
        ftr, fq = (f.sparse_train, f.dense_train), (f.sparse_val, f.dense_val)
        single = {n: SCORERS[n](ftr, y, fq) for n in SCORERS}
        oof = {n: out_of_fold(SCORERS[n], ftr, y) for n in SCORERS}
        methods = dict(single)
        refs = {n: oof[n] for n in SCORERS}
        for name, parts in combos.items():
            own = [oof[p].score for p in parts]
            methods[name] = combine([single[p] for p in parts], own)
            refs[name] = combine([oof[p] for p in parts], own)
        rows = {}
        for name, scored in methods.items():
            t, tuned = best_threshold(gold, scored)
            row = {"tuned": {"threshold": float(t), **tuned}}
            for keep in args.keep:
                threshold = float(np.quantile(refs[name].score, 1 - keep))
                row[f"keep{keep}"] = evaluate(gold, scored, threshold)
            rows[name] = row
        report[split.name] = rows
        seconds = time.perf_counter() - started
        print(f"== {split.name} ({seconds:.0f} s)", file=sys.stderr)
        for name, row in rows.items():
            cells = "  ".join(
                f"{k}:{v['accuracy']:.3f}/{v['oos_recall']:.2f}" for k, v in row.items()
            )
            print(f"  {name:12s} {cells}", file=sys.stderr)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
