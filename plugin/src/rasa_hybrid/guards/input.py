"""Input guard: prompt injection and requests for other customers' data.

Pure functions over the customer's recent messages; the signals, weights and
thresholds are data (``data/guards/input.yml``). The guard looks at the
recent window, not only the last message, so an attack split over several
turns is caught when it completes. It imports nothing heavy: the Rasa
server's NLU uses it too (``rasa_hybrid/nlu/input_guard_flag.py``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "@": "a", "$": "s", "!": "i", "|": "l"})  # fmt: skip
_APOSTROPHES = re.compile(r"['’‘`´]")
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
# Letters written one by one: "i g n o r e", "i.g.n.o.r.e", "i-g-n-o-r-e".
_SPELLED = re.compile(r"\b(?:[a-z][ .\-_*]){3,}[a-z]\b")
_SPELLED_SEP = re.compile(r"[ .\-_*]")
_WORD_WITH_DIGITS = re.compile(r"\b(?=\w*[a-z])(?=\w*[0-9@$!|])[\w@$!|]+\b")
_BASE64 = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")


class GuardConfigError(ValueError):
    """The guard's rules cannot be used; the message says where."""


@dataclass(frozen=True)
class Signal:
    """One pattern and what it counts towards its category's score."""

    pattern: re.Pattern[str]
    weight: float


@dataclass(frozen=True)
class Category:
    """A kind of turn the guard blocks, and the domain response for it."""

    name: str
    response: str
    signals: tuple[Signal, ...]
    #: NLU intents that mean this category (the first is set by the NLU flag).
    intents: tuple[str, ...] = ()


@dataclass(frozen=True)
class InputRules:
    """Every category, the window size and the thresholds."""

    categories: tuple[Category, ...]
    window_messages: int = 4
    block_score: float = 1.0
    cross_boundary_weight: float = 0.5
    intent_min_confidence: float = 0.5

    @classmethod
    def load(cls, path: Path | None = None) -> InputRules:
        """Reads the rules file (by default the settings' ``input_guard_file``).

        Raises:
            GuardConfigError: the file is missing or malformed.
        """
        if path is None:
            from rasa_hybrid.llm.settings import LLMSettings

            path = LLMSettings.from_env().input_guard_file
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            categories = tuple(
                Category(
                    name=str(name),
                    response=str(spec["response"]),
                    signals=tuple(
                        Signal(re.compile(pattern), float(group["weight"]))
                        for group in spec["signals"]
                        for pattern in group["patterns"]
                    ),
                    intents=tuple(str(i) for i in spec.get("intents") or []),
                )
                for name, spec in (data.get("categories") or {}).items()
            )
            return cls(
                categories=categories,
                window_messages=int(data.get("window_messages", 4)),
                block_score=float(data.get("block_score", 1.0)),
                cross_boundary_weight=float(data.get("cross_boundary_weight", 0.5)),
                intent_min_confidence=float(data.get("intent_min_confidence", 0.5)),
            )
        except (OSError, yaml.YAMLError, re.error, KeyError, TypeError) as error:
            raise GuardConfigError(f"{path}: {error}") from error

    @property
    def responses(self) -> frozenset[str]:
        """The domain responses a blocked turn is answered with."""
        return frozenset(category.response for category in self.categories)

    def category_for_route(
        self, route: str, confidence: float = 1.0
    ) -> Category | None:
        """The category whose NLU intent sent the turn here, if NLU was sure enough."""
        if confidence < self.intent_min_confidence:
            return None
        for category in self.categories:
            if route in category.intents:
                return category
        return None


@functools.lru_cache(maxsize=1)
def refusal_responses(path: Path | None = None) -> frozenset[str]:
    """The domain responses the guard answers a blocked turn with.

    Raises:
        GuardConfigError: the rules file is missing or malformed.
    """
    return InputRules.load(path).responses


@dataclass(frozen=True)
class InputVerdict:
    """Whether the turn may go on to the model; if not, why and what to say."""

    allowed: bool
    category: str = ""
    response: str = ""
    score: float = 0.0
    reason: str = ""
    scores: dict[str, float] = field(default_factory=dict)


def _decoded_base64(text: str) -> list[str]:
    decoded = []
    for token in _BASE64.findall(text):
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
            plain = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        if plain.isprintable() and sum(c.isalpha() for c in plain) > len(plain) / 2:
            decoded.append(plain)
    return decoded


def normalize(text: str) -> list[str]:
    """The forms of ``text`` the patterns are matched against.

    Lower case without accents or zero-width characters, apostrophes as
    spaces; then the same with look-alike digits as letters ("1gn0re"),
    letters written one by one joined up, and any base64 in it decoded.
    """
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    plain = _ZERO_WIDTH.sub("", plain).lower()
    plain = _SPACES.sub(" ", _APOSTROPHES.sub(" ", plain)).strip()
    forms = [plain]
    leet = _WORD_WITH_DIGITS.sub(lambda m: m.group().translate(_LEET), plain)
    spelled = _SPELLED.sub(lambda m: _SPELLED_SEP.sub("", m.group()), leet)
    for form in (leet, spelled):
        if form not in forms:
            forms.append(form)
    for decoded in _decoded_base64(text):
        forms.extend(normalize(decoded))
    return forms


def _matched(signals: Sequence[Signal], forms: Sequence[str]) -> set[int]:
    return {
        index
        for index, signal in enumerate(signals)
        if any(signal.pattern.search(form) for form in forms)
    }


def _score(signals: Sequence[Signal], indices: set[int]) -> float:
    return sum(signals[index].weight for index in indices)


def check_input(messages: Sequence[str], rules: InputRules) -> InputVerdict:
    """The verdict on the latest of ``messages`` (oldest first) given the window.

    Blocks when the latest message alone reaches the block score, or when the
    window does and the latest message adds to it (a signal of its own, or a
    strong pattern completed across the boundary with earlier messages).
    """
    window = [text for text in messages if text and text.strip()]
    window = window[-rules.window_messages :] if rules.window_messages > 0 else []
    if not window:
        return InputVerdict(allowed=True)
    per_message = [normalize(text) for text in window]
    joined = normalize(" ".join(window))
    scores: dict[str, float] = {}
    best: InputVerdict | None = None
    for category in rules.categories:
        signals = category.signals
        latest = _matched(signals, per_message[-1])
        earlier: set[int] = set()
        for forms in per_message[:-1]:
            earlier |= _matched(signals, forms)
        across = {
            index
            for index in _matched(signals, joined) - latest - earlier
            if signals[index].weight >= rules.block_score
        }
        latest_score = _score(signals, latest)
        window_score = _score(
            signals, latest | earlier
        ) + rules.cross_boundary_weight * len(across)
        scores[category.name] = round(max(latest_score, window_score), 3)
        if latest_score >= rules.block_score:
            reason = "latest message"
            score = latest_score
        elif window_score >= rules.block_score and (latest or across):
            reason = "recent messages together"
            score = window_score
        else:
            continue
        if best is None or score > best.score:
            best = InputVerdict(
                allowed=False,
                category=category.name,
                response=category.response,
                score=round(score, 3),
                reason=reason,
            )
    if best is None:
        return InputVerdict(allowed=True, scores=scores)
    return InputVerdict(
        allowed=False,
        category=best.category,
        response=best.response,
        score=best.score,
        reason=best.reason,
        scores=scores,
    )
