"""The sentences of the retrieved passages that answer a question; pure.

A quoted reply shows the customer the one to three sentences that answer,
not a whole passage: each sentence of the passages is scored by its cosine
with the question plus a small bonus per question word it shares (exact words
such as error codes and product names matter), the best one decides the
document, and the reply is the best sentences of that document, in the
passages' order, with the sentence after the best one (which usually carries
on from it), within a length limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rasa_hybrid.llm.knowledge import Chunk

#: Score bonus per question word a sentence shares (cosines are 0.2–0.8).
KEYWORD_WEIGHT = 0.03
_LIST_MARKER = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage, where it is, and its unit vector."""

    chunk: Chunk
    position: int
    text: str
    vector: np.ndarray


@dataclass(frozen=True)
class Extract:
    """The sentences chosen, joined for the reply, and the passage they are from."""

    chunk: Chunk
    text: str
    sentences: tuple[str, ...]


def sentences_of(
    chunks: Sequence[Chunk],
    split: Callable[[str], list[str]],
    vectors: np.ndarray,
) -> list[Sentence]:
    """The sentences of ``chunks`` with their vectors (rows in the same order)."""
    found = [
        (chunk, position, text)
        for chunk in chunks
        for position, text in enumerate(split(chunk.text))
    ]
    if len(found) != len(vectors):
        raise ValueError(f"{len(found)} sentences but {len(vectors)} vectors")
    return [Sentence(c, p, t, v) for (c, p, t), v in zip(found, vectors, strict=True)]


def clean(sentence: str) -> str:
    """A sentence as the customer reads it: one line, no list marker."""
    return _LIST_MARKER.sub("", " ".join(sentence.split()))


def _fit(texts: Sequence[str], max_chars: int) -> str:
    """The texts joined, cut to whole words within ``max_chars`` when needed."""
    joined = " ".join(texts)
    if len(joined) <= max_chars:
        return joined
    return joined[:max_chars].rsplit(" ", 1)[0] + "…"


def extract(
    question_vector: np.ndarray,
    question_terms: set[str],
    candidates: Sequence[Sentence],
    terms: Callable[[str], list[str]],
    max_sentences: int = 3,
    max_chars: int = 500,
    keyword_weight: float = KEYWORD_WEIGHT,
) -> Extract | None:
    """The answering sentences among ``candidates``; None when there are none.

    Candidates come from the passages retrieval kept, best passage first.
    The sentences kept are from the best sentence's passage document; the
    lowest-scored are dropped first when they would pass ``max_chars``.
    """
    if not candidates or max_sentences <= 0:
        return None
    scores = [
        float(c.vector @ question_vector)
        + keyword_weight * len(question_terms & set(terms(c.text)))
        for c in candidates
    ]
    order = sorted(range(len(candidates)), key=lambda i: -scores[i])
    best = candidates[order[0]]
    same = [i for i in order if candidates[i].chunk.doc == best.chunk.doc]
    chosen = same[:max_sentences]
    follower = next(
        (
            i
            for i in same
            if candidates[i].chunk == best.chunk
            and candidates[i].position == best.position + 1
        ),
        None,
    )
    if follower is not None and follower not in chosen and max_sentences > 1:
        chosen = [*chosen[: max_sentences - 1], follower]
    # Drop the lowest-scored sentences until the rest fit (never the best).
    while len(chosen) > 1 and len(_join(candidates, chosen)) > max_chars:
        chosen.remove(min(chosen[1:], key=lambda i: scores[i]))
    in_order = sorted(chosen, key=lambda i: i)
    texts = tuple(clean(candidates[i].text) for i in in_order)
    return Extract(best.chunk, _fit(texts, max_chars), texts)


def _join(candidates: Sequence[Sentence], chosen: Sequence[int]) -> str:
    return " ".join(clean(candidates[i].text) for i in chosen)
