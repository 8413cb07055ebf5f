"""Offers of known tasks next to an LLM reply, as data.

The plugin knows no tasks itself: a YAML file lists, per offer, the domain
response to send (it carries the button) and when it applies: a pattern in
the customer's message or the reply, or an intent ranked high enough by NLU.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class OfferConfigError(ValueError):
    """The offers file is malformed; the message says where."""


@dataclass(frozen=True)
class TaskOffer:
    """One task the assistant can start, and when to offer it."""

    response: str
    patterns: tuple[re.Pattern[str], ...] = ()
    intents: tuple[str, ...] = ()
    min_confidence: float = 0.3
    unless_active_loop: tuple[str, ...] = ()

    def applies(
        self,
        texts: Iterable[str],
        intent_ranking: Sequence[Mapping[str, Any]],
        active_loop: str | None,
    ) -> bool:
        """Whether this offer fits the turn."""
        if active_loop and active_loop in self.unless_active_loop:
            return False
        for entry in intent_ranking:
            if (
                entry.get("name") in self.intents
                and float(entry.get("confidence") or 0) >= self.min_confidence
            ):
                return True
        return any(pattern.search(text) for text in texts for pattern in self.patterns)


@dataclass(frozen=True)
class OfferCatalog:
    """Every offer, in order of priority, and how many to make at most."""

    offers: tuple[TaskOffer, ...] = ()
    max_offers: int = 1

    @classmethod
    def load(cls, path: Path) -> OfferCatalog:
        """Reads the offers file; no file means no offers.

        Raises:
            OfferConfigError: the file exists but cannot be used.
        """
        if not path.exists():
            return cls()
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle) or {}
            offers = tuple(_offer(item) for item in data.get("offers") or [])
            return cls(offers=offers, max_offers=int(data.get("max_offers", 1)))
        except (yaml.YAMLError, re.error, TypeError, ValueError, KeyError) as error:
            raise OfferConfigError(f"{path}: {error}") from error

    def choose(
        self,
        texts: Iterable[str],
        intent_ranking: Sequence[Mapping[str, Any]] = (),
        active_loop: str | None = None,
    ) -> list[str]:
        """The responses of the offers that apply, best first."""
        texts = [text for text in texts if text]
        chosen = [
            offer.response
            for offer in self.offers
            if offer.applies(texts, intent_ranking, active_loop)
        ]
        return chosen[: self.max_offers]


def _offer(item: Mapping[str, Any]) -> TaskOffer:
    return TaskOffer(
        response=str(item["response"]),
        patterns=tuple(
            re.compile(pattern, re.IGNORECASE) for pattern in item.get("patterns") or []
        ),
        intents=tuple(item.get("intents") or []),
        min_confidence=float(item.get("min_confidence", 0.3)),
        unless_active_loop=tuple(item.get("unless_active_loop") or []),
    )
