"""Ignores the third-party notices listed in quiet_warnings.yml.

Each entry is ignored for its category and module (and message, when it
names one) only; anything else still shows. scripts/quiet.py installs them
unless ``VERBOSE=1``.
"""

from __future__ import annotations

import builtins
import importlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml

FILTERS_FILE = Path(__file__).with_name("quiet_warnings.yml")


@dataclass(frozen=True)
class QuietWarning:
    """One notice to ignore: its category, the module it comes from, its text."""

    category: str
    module: str
    #: A regular expression the start of the message must match ("": any).
    message: str = ""

    def category_class(self) -> type[Warning]:
        """The warning class ``category`` names (a builtin or ``package.Class``)."""
        module_name, _, name = self.category.rpartition(".")
        owner = importlib.import_module(module_name) if module_name else builtins
        found = getattr(owner, name)
        if not (isinstance(found, type) and issubclass(found, Warning)):
            raise TypeError(f"{self.category} is not a warning category")
        return found


def load(path: Path = FILTERS_FILE) -> list[QuietWarning]:
    """The entries of ``path``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        QuietWarning(entry["category"], entry["module"], entry.get("message", ""))
        for entry in entries
    ]


def verbose_requested(env: dict[str, str] | None = None) -> bool:
    """Whether ``VERBOSE`` asks for every notice."""
    value = (env if env is not None else os.environ).get("VERBOSE", "")
    return value not in ("", "0")


def install(entries: list[QuietWarning]) -> None:
    """Puts the ignore filters in front of every other warning filter."""
    # Importing sanic puts a "once" filter for every DeprecationWarning in
    # front of the list; ours go in after it, so that they come first.
    import sanic  # noqa: F401

    for entry in reversed(entries):
        warnings.filterwarnings(
            "ignore",
            message=entry.message,
            category=entry.category_class(),
            module=f"(?:{entry.module})$",
        )


def register_with_rasa(entries: list[QuietWarning]) -> None:
    """Adds the entries with a message to Rasa's own list of expected warnings.

    Rasa's command line puts "once" for every UserWarning in front of the
    filters as it starts, which would show those again; the filters it makes
    of ``rasa.utils.common.EXPECTED_WARNINGS`` go in after that one.
    """
    from rasa.utils import common

    for entry in entries:
        if entry.message and issubclass(entry.category_class(), UserWarning):
            expected = (entry.category_class(), entry.message)
            if expected not in common.EXPECTED_WARNINGS:
                common.EXPECTED_WARNINGS.append(expected)
