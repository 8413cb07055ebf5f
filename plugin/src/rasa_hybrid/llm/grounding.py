"""Is an answer supported by the passages it was given? Pure functions.

Two checks, both cheap: every sentence of the answer must be close (cosine
of sentence vectors) to some sentence of the passages, and every number in
the answer must appear in the passages or in the customer's own message; a
small model's favourite invention is a number ("within 90 days").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_NUMBER_WORDS = (
    {
        word: str(value)
        for value, word in enumerate(
            [
                "zero",
                "one",
                "two",
                "three",
                "four",
                "five",
                "six",
                "seven",
                "eight",
                "nine",
                "ten",
                "eleven",
                "twelve",
                "thirteen",
                "fourteen",
                "fifteen",
                "sixteen",
                "seventeen",
                "eighteen",
                "nineteen",
            ]
        )
    }
    | {
        word: str(value)
        for value, word in zip(
            range(20, 100, 10),
            [
                "twenty",
                "thirty",
                "forty",
                "fifty",
                "sixty",
                "seventy",
                "eighty",
                "ninety",
            ],
            strict=True,
        )
    }
    | {"hundred": "100", "thousand": "1000", "dozen": "12", "half": "0.5"}
)
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Grounding:
    """The verdict, the weakest sentence's support and any invented numbers."""

    supported: bool
    min_support: float
    weakest: str = ""
    unsupported_numbers: tuple[str, ...] = ()


def numbers(text: str) -> set[str]:
    """The numbers in ``text``, in digits or words ("ten" is 10; "8:00" is one)."""
    found = {match.group().replace(",", "") for match in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[m.group().lower()] for m in _NUMBER_WORD.finditer(text)}
    return found


def unsupported_numbers(answer: str, *sources: str) -> list[str]:
    """Numbers in ``answer`` that none of ``sources`` contains."""
    known: set[str] = set()
    for source in sources:
        known |= numbers(source)
    return sorted(numbers(answer) - known)


def sentence_support(
    answer_vectors: np.ndarray, passage_vectors: np.ndarray
) -> list[float]:
    """For each answer sentence, its best cosine with any passage sentence."""
    if not len(answer_vectors):
        return []
    if not len(passage_vectors):
        return [0.0] * len(answer_vectors)
    return [float(v) for v in (answer_vectors @ passage_vectors.T).max(axis=1)]


def judge(
    answer_sentences: Sequence[str],
    support: Sequence[float],
    invented: Sequence[str],
    min_support: float,
) -> Grounding:
    """Supported when every sentence reaches ``min_support`` and nothing is invented."""
    if not answer_sentences:
        return Grounding(False, 0.0)
    weakest = min(range(len(support)), key=support.__getitem__)
    return Grounding(
        supported=support[weakest] >= min_support and not invented,
        min_support=round(support[weakest], 3),
        weakest=answer_sentences[weakest],
        unsupported_numbers=tuple(invented),
    )
