"""Appliances and services technicians can be booked for (data/service_catalog.yml)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

CATALOG = Path(__file__).resolve().parents[2] / "data" / "service_catalog.yml"


@lru_cache(maxsize=2)
def _words(kind: str, path: Path = CATALOG) -> dict[str, str]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)[kind]
    return {word: name for name, words in data.items() for word in [name, *words]}


def _find(kind: str, text: object) -> str | None:
    if not isinstance(text, str) or len(text) > 500:
        return None
    lowered = text.casefold()
    # The longest phrase first: "fridge freezer" before "fridge".
    for word in sorted(_words(kind), key=len, reverse=True):
        if re.search(rf"\b{re.escape(word)}\b", lowered):
            return _words(kind)[word]
    return None


def appliance(text: object) -> str | None:
    """The appliance a customer's words name (``fridge`` → refrigerator)."""
    return _find("appliances", text)


def service_type(text: object) -> str | None:
    """The kind of visit a customer's words name (``fix`` → repair)."""
    return _find("service_types", text)


def appliances() -> list[str]:
    """Every appliance technicians work on."""
    return sorted(set(_words("appliances").values()))
