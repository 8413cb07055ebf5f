"""Redaction of personal data before text reaches a provider or a log.

Patterns from ``data/guards/pii.yml`` find emails, phone, card, order and
tracking numbers, street addresses and ZIP codes; spaCy's named entities
find names. Each span becomes a placeholder such as ``[EMAIL]`` so the
sentence stays readable for the model. The matching itself is pure: the
entity recogniser is passed in, and the spaCy one is loaded once per
process, on first use.
"""

from __future__ import annotations

import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rasa_hybrid.guards.output import normalize_contact

#: (start, end, label) of each named entity in a text.
EntityFinder = Callable[[str], Sequence[tuple[int, int, str]]]


class PiiConfigError(ValueError):
    """The redaction rules cannot be used; the message says where."""


@dataclass(frozen=True)
class PiiPattern:
    """One kind of personal data found by a regular expression."""

    label: str
    placeholder: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class PiiRules:
    """What counts as personal data, and what never does."""

    patterns: tuple[PiiPattern, ...]
    entities: dict[str, str] = field(default_factory=dict)
    spacy_model: str = ""
    allow_terms: frozenset[str] = frozenset()
    allow_contacts: frozenset[str] = frozenset()

    @classmethod
    def load(cls, path: Path | None = None) -> PiiRules:
        """Reads the rules file (by default the settings' ``pii_file``).

        Raises:
            PiiConfigError: the file is missing or malformed.
        """
        if path is None:
            from rasa_hybrid.llm.settings import LLMSettings

            path = LLMSettings.from_env().pii_file
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            patterns = tuple(
                PiiPattern(
                    str(item["label"]),
                    str(item["placeholder"]),
                    re.compile(item["regex"]),
                )
                for item in data.get("patterns") or []
            )
            return cls(
                patterns=patterns,
                entities={
                    str(k): str(v) for k, v in (data.get("entities") or {}).items()
                },
                spacy_model=str(data.get("spacy_model") or ""),
                allow_terms=frozenset(t.lower() for t in data.get("allow_terms") or []),
                allow_contacts=frozenset(
                    normalize_contact(c) for c in data.get("allow_contacts") or []
                ),
            )
        except (OSError, yaml.YAMLError, re.error, KeyError, TypeError) as error:
            raise PiiConfigError(f"{path}: {error}") from error


@dataclass(frozen=True)
class Finding:
    """One span of personal data: its kind and where it was (never its text)."""

    label: str
    start: int
    end: int


@dataclass(frozen=True)
class Redaction:
    """The text with placeholders, and what was replaced."""

    text: str
    findings: tuple[Finding, ...] = ()

    @property
    def labels(self) -> list[str]:
        """The kinds of personal data found, in order of appearance."""
        return [finding.label for finding in self.findings]


def find_pii(
    text: str, rules: PiiRules, entities: Sequence[tuple[int, int, str]] = ()
) -> list[tuple[int, int, PiiPattern | str]]:
    """Non-overlapping spans of personal data; pure.

    Patterns win over entities, earlier patterns over later ones, and company
    contacts or product names are never reported.
    """
    spans: list[tuple[int, int, PiiPattern | str]] = []
    taken = [False] * len(text)

    def claim(start: int, end: int, what: PiiPattern | str) -> None:
        if start >= end or any(taken[start:end]):
            return
        taken[start:end] = [True] * (end - start)
        spans.append((start, end, what))

    for pattern in rules.patterns:
        group = "pii" if "pii" in pattern.regex.groupindex else 0
        for match in pattern.regex.finditer(text):
            start, end = match.span(group)
            if normalize_contact(match.group(group)) in rules.allow_contacts:
                for index in range(start, end):
                    taken[index] = True  # nor may a later pattern take part of it
                continue
            claim(start, end, pattern)
    for start, end, label in entities:
        placeholder = rules.entities.get(label)
        if placeholder is None:
            continue
        value = text[start:end].strip()
        if (
            not value
            or any(char.isdigit() for char in value)
            or not any(char.isupper() for char in value)
            or value.lower() in rules.allow_terms
            or any(word in rules.allow_terms for word in value.lower().split())
        ):
            continue
        claim(start, end, label)
    return sorted(spans, key=lambda span: span[0])


def apply_redaction(
    text: str, spans: Iterable[tuple[int, int, PiiPattern | str]], rules: PiiRules
) -> Redaction:
    """Replaces each span with its placeholder; pure."""
    parts: list[str] = []
    findings: list[Finding] = []
    position = 0
    for start, end, what in spans:
        if isinstance(what, PiiPattern):
            label, placeholder = what.label, what.placeholder
        else:
            label, placeholder = what.lower(), rules.entities[what]
        parts.append(text[position:start])
        findings.append(Finding(label, start, end))
        parts.append(placeholder)
        position = end
    parts.append(text[position:])
    return Redaction("".join(parts), tuple(findings))


EXCLUDED_PIPES = (
    "tok2vec",
    "tagger",
    "parser",
    "senter",
    "attribute_ruler",
    "lemmatizer",
)


class SpacyEntities:
    """spaCy's named entities, with the pipeline loaded once per process."""

    def __init__(self, model: str) -> None:
        self.model = model

    def __call__(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, label) of every entity spaCy finds in ``text``."""
        nlp, lock = _spacy_pipeline(self.model)
        with lock:
            document = nlp(text)
        return [(ent.start_char, ent.end_char, ent.label_) for ent in document.ents]


@functools.cache
def _spacy_pipeline(model: str) -> tuple[Any, threading.Lock]:
    import spacy

    # Only the entity recogniser: it has its own token vectors, so the shared
    # tok2vec and everything that listens to it (tagger, parser) only cost time
    # (same entities on the training data and documents, ~30 % less time).
    nlp = spacy.load(model, exclude=EXCLUDED_PIPES)
    return nlp, threading.Lock()


class PiiRedactor:
    """Replaces personal data in text with placeholders."""

    def __init__(
        self, rules: PiiRules | None = None, entities: EntityFinder | None = None
    ) -> None:
        self.rules = rules or PiiRules.load()
        if entities is None and self.rules.spacy_model:
            entities = SpacyEntities(self.rules.spacy_model)
        self._entities = entities

    # The entity recogniser sees at most this much text; longer messages are
    # cut before they reach a prompt anyway, patterns still see everything.
    MAX_NER_CHARS = 4000

    def redact(self, text: str) -> Redaction:
        """``text`` with every piece of personal data replaced."""
        if not text:
            return Redaction(text)
        entities = self._entities(text[: self.MAX_NER_CHARS]) if self._entities else ()
        return apply_redaction(text, find_pii(text, self.rules, entities), self.rules)

    def warm_up(self) -> None:
        """Loads the entity recogniser now rather than on the first message."""
        if self._entities:
            self._entities("Warm up.")


class ConversationRedactions:
    """Each conversation's texts, redacted once and reused on later turns.

    A prompt carries the conversation's last turns, so without this every turn
    ran the entity recogniser again on texts the turns before had redacted.
    Keyed by conversation and text (a text seen in another conversation is
    redacted anew); the least recently used entries go first past the bound.
    """

    def __init__(self, redactor: PiiRedactor, max_entries: int = 4096) -> None:
        self.redactor = redactor
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Redaction] = OrderedDict()
        self._lock = threading.Lock()

    def redact(self, conversation_id: str, text: str) -> Redaction:
        """``text`` (said in ``conversation_id``) with its personal data replaced."""
        key = (conversation_id, text)
        with self._lock:
            known = self._entries.get(key)
            if known is not None:
                self._entries.move_to_end(key)
                return known
        redaction = self.redactor.redact(text)
        with self._lock:
            self._entries[key] = redaction
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return redaction
