"""Pure parts of the load benchmark: arrivals, the customers' script, figures."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bench.stats import percentile, summarize

# One cycle of a customer's conversation: (turn type, what they type). Rule
# turns are answered by rules; form turns start the order-status form, answer
# its first question (validated against the store) and leave it; LLM turns go
# to action_llm_fallback (retrieval, guards, the fake provider). Every cycle
# takes the same paths, so early and late cycles compare like with like.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("rule", "hi"),
    ("form", "where is my order"),
    ("form", "A-1234"),
    ("form", "never mind"),
    ("llm", "my dishwasher shows error C3, what does that mean?"),
    ("rule", "thanks"),
    ("rule", "what can you do?"),
    ("llm", "do you match prices from other stores?"),
    ("rule", "are you a bot?"),
    ("rule", "bye"),
)
TURN_TYPES = ("rule", "form", "llm")


@dataclass(frozen=True)
class Turn:
    """One measured turn."""

    kind: str
    index: int  # 1-based position in its conversation
    latency_ms: float
    ok: bool


def step(turn_number: int) -> tuple[str, str]:
    """The script's step for a conversation's turn ``turn_number`` (1-based)."""
    return SCRIPT[(turn_number - 1) % len(SCRIPT)]


def poisson_arrivals(rate: float, duration_s: float, rng: random.Random) -> list[float]:
    """Arrival times (seconds from 0) of a Poisson process of ``rate`` per second."""
    if rate <= 0 or duration_s <= 0:
        return []
    times, now = [], rng.expovariate(rate)
    while now < duration_s:
        times.append(now)
        now += rng.expovariate(rate)
    return times


def by_type(turns: Iterable[Turn]) -> dict[str, dict]:
    """Latency summary and error count per turn type (errors have no latency)."""
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for turn in turns:
        if turn.ok:
            latencies[turn.kind].append(turn.latency_ms)
        else:
            errors[turn.kind] += 1
    figures = {}
    for kind in sorted(set(latencies) | set(errors)):
        figures[kind] = {
            **(summarize(latencies[kind]) if latencies[kind] else {"n": 0}),
            "errors": errors[kind],
        }
    return figures


def cycle_p50(turns: Sequence[Turn], turn_number: int) -> float:
    """p50 latency over the script cycle that holds ``turn_number``.

    A cycle has every kind of turn once, so early and late cycles compare like
    with like (turn 5 alone is an LLM turn, turn 100 a rule turn).
    """
    first = (turn_number - 1) // len(SCRIPT) * len(SCRIPT) + 1
    window = range(first, first + len(SCRIPT))
    values = [t.latency_ms for t in turns if t.ok and t.index in window]
    if not values:
        raise ValueError(f"no successful turns in {first}..{window[-1]}")
    return percentile(values, 0.5)
