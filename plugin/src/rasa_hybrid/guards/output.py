"""Output guard: what a model's reply may not say. Pure functions over text.

Rules (``data/guards/output.yml``): no promises the assistant cannot make,
no legal or medical advice, no personal data, no links, phone numbers or
emails that the knowledge base does not contain, no pieces of the system
prompt, bounded length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"')\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.\-]?)?(?:\(\d{3}\)|\d{3})[\s.\-]?\d{3}[\s.\-]?\d{4}(?![\w-])"
)
# A full stop between digits ("$7.99") ends no sentence.
_SENTENCE = re.compile(r"(?:[^.!?…]|(?<=\d)\.(?=\d))+(?:[.!?…]+|$)")
_WORD = re.compile(r"[a-z0-9']+")
_LEAK_WORDS = 8


class OutputConfigError(ValueError):
    """The output rules cannot be used; the message says where."""


@dataclass(frozen=True)
class OutputRules:
    """Patterns per category, limits, and the contacts a reply may contain."""

    rules: dict[str, tuple[re.Pattern[str], ...]]
    max_chars: int = 600
    max_sentences: int = 5
    allow_contacts: frozenset[str] = frozenset()
    min_sentence_support: float = 0.55

    @classmethod
    def load(cls, path: Path | None = None) -> OutputRules:
        """Reads the rules file (by default the settings' ``output_guard_file``).

        Raises:
            OutputConfigError: the file is missing or malformed.
        """
        if path is None:
            from rasa_hybrid.llm.settings import LLMSettings

            path = LLMSettings.from_env().output_guard_file
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            rules = {
                str(name): tuple(re.compile(p, re.IGNORECASE) for p in patterns)
                for name, patterns in (data.get("rules") or {}).items()
            }
            return cls(
                rules=rules,
                max_chars=int(data.get("max_chars", 600)),
                max_sentences=int(data.get("max_sentences", 5)),
                allow_contacts=frozenset(
                    normalize_contact(c) for c in data.get("allow_contacts") or []
                ),
                min_sentence_support=float(data.get("min_sentence_support", 0.55)),
            )
        except (OSError, yaml.YAMLError, re.error, TypeError, ValueError) as error:
            raise OutputConfigError(f"{path}: {error}") from error

    def with_contacts_from(self, texts: Iterable[str]) -> OutputRules:
        """These rules, also allowing every contact found in ``texts``."""
        found = {normalize_contact(c) for text in texts for c in find_contacts(text)}
        return OutputRules(
            rules=self.rules,
            max_chars=self.max_chars,
            max_sentences=self.max_sentences,
            allow_contacts=self.allow_contacts | found,
            min_sentence_support=self.min_sentence_support,
        )


@dataclass(frozen=True)
class OutputVerdict:
    """Whether the reply may be shown; if not, which rule it broke."""

    allowed: bool
    category: str = ""
    detail: str = ""


def normalize_contact(value: str) -> str:
    """A contact in comparable form: phone digits, lower-case link or email."""
    value = value.strip().rstrip(".,;:!?")
    digits = re.sub(r"\D", "", value)
    if "@" not in value and "/" not in value and "." not in value.replace("-", ""):
        return digits[-10:] if len(digits) >= 10 else digits
    if _PHONE.fullmatch(value):
        return digits[-10:]
    return value.lower().removeprefix("http://").removeprefix("https://")


def find_contacts(text: str) -> list[str]:
    """Links, emails and phone numbers in ``text``, in order."""
    found = [m.group() for m in _URL.finditer(text)]
    found += [m.group() for m in _EMAIL.finditer(text)]
    found += [m.group() for m in _PHONE.finditer(text)]
    return found


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (ends at . ! ? …), stripped, non-empty."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def leaks_prompt(reply: str, system_text: str, words: int = _LEAK_WORDS) -> bool:
    """Whether ``reply`` repeats ``words`` consecutive words of the system text."""
    system = _WORD.findall(system_text.lower())
    shown = " " + " ".join(_WORD.findall(reply.lower())) + " "
    return any(
        " " + " ".join(system[i : i + words]) + " " in shown
        for i in range(len(system) - words + 1)
    )


def check_output(
    reply: str,
    rules: OutputRules,
    personal_data: Sequence[str] = (),
    system_text: str = "",
) -> OutputVerdict:
    """The verdict on one reply.

    Args:
        reply: the model's cleaned reply.
        rules: the loaded rules, with the knowledge base's contacts allowed.
        personal_data: labels of personal data the redactor found in the reply.
        system_text: the system message that was sent, to catch leaks of it.
    """
    if len(reply) > rules.max_chars:
        return OutputVerdict(False, "length", f"{len(reply)} characters")
    if len(sentences(reply)) > rules.max_sentences:
        return OutputVerdict(False, "length", f"{len(sentences(reply))} sentences")
    for category, patterns in rules.rules.items():
        for pattern in patterns:
            match = pattern.search(reply)
            if match:
                return OutputVerdict(False, category, match.group()[:80])
    for contact in find_contacts(reply):
        if normalize_contact(contact) not in rules.allow_contacts:
            return OutputVerdict(False, "contact", "not in the knowledge base")
    if personal_data:
        return OutputVerdict(False, "personal_data", ", ".join(personal_data))
    if system_text and leaks_prompt(reply, system_text):
        return OutputVerdict(False, "prompt_leak", "repeats the system prompt")
    return OutputVerdict(True)
