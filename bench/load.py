"""Benchmark: the assistant under load, over REST, on loopback (make bench-load).

Starts the real servers (`make serve` on free ports, fake LLM provider, a
SQLite tracker store of its own) and runs three bounded phases of simulated
customers, each following bench/load_plan.SCRIPT (rule, form and LLM turns):

  open loop    turns arrive as a Poisson process at --rate per second, spread
               over --conversations conversations; latency counts from the
               arrival, so a slow server cannot hide behind a slow client
  closed loop  --customers customers, no think time: sustained turns per second
  long         --long-conversations conversations of --long-turns turns each,
               one after another: does a turn late in a conversation cost
               more than an early one?

    python -m bench.load --out bench/load.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import yaml

from bench.load_plan import (
    SCRIPT,
    Turn,
    by_type,
    cycle_p50,
    poisson_arrivals,
    step,
)
from devtools.servers import Servers

TARGET_P95_MS = 250.0  # rule and form turns, open loop
TARGET_GROWTH = 1.5  # p50 at turn 100 / p50 at turn 5
# A grounded sentence of data/knowledge, so the fake's answer passes the checks.
FAKE_REPLY = (
    "A price match can be requested before buying or within 14 days after delivery."
)


class Conversation:
    """One customer: a sender id, a turn counter and a keep-alive session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sender = f"load-{uuid.uuid4().hex}"
        self.turns = 0
        self.session = requests.Session()

    def take_turn(self, started: float | None = None) -> Turn:
        """Sends the next step; latency from ``started`` (default: now)."""
        self.turns += 1
        kind, text = step(self.turns)
        start = time.perf_counter() if started is None else started
        try:
            reply = self.session.post(
                self.url, json={"sender": self.sender, "message": text}, timeout=60
            )
            ok = reply.status_code == 200 and bool(reply.json())
        except (requests.RequestException, ValueError):
            ok = False
        return Turn(kind, self.turns, (time.perf_counter() - start) * 1000, ok)


def open_loop(url: str, rate: float, duration_s: float, conversations: int) -> dict:
    """Poisson arrivals over a pool of conversations; one turn at a time each."""
    rng = random.Random(7)
    arrivals = poisson_arrivals(rate, duration_s, rng)
    pool = [Conversation(url) for _ in range(conversations)]
    idle = set(range(conversations))
    lock = threading.Lock()
    turns: list[Turn] = []
    busy_arrivals = 0

    def run(index: int, arrived: float) -> None:
        turn = pool[index].take_turn(started=arrived)
        with lock:
            turns.append(turn)
            idle.add(index)

    with ThreadPoolExecutor(max_workers=conversations) as executor:
        begin = time.perf_counter()
        for at in arrivals:
            delay = begin + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            with lock:
                choice = rng.choice(sorted(idle)) if idle else None
                if choice is not None:
                    idle.discard(choice)
            if choice is None:
                busy_arrivals += 1  # every conversation is waiting for a reply
                continue
            executor.submit(run, choice, begin + at)
        executor.shutdown(wait=True)
        elapsed = time.perf_counter() - begin
    return {
        "offered_turns_per_s": rate,
        "duration_s": duration_s,
        "conversations": conversations,
        "arrivals": len(arrivals),
        "arrivals_with_no_idle_conversation": busy_arrivals,
        "completed_turns_per_s": round(len(turns) / elapsed, 2),
        "errors": sum(not t.ok for t in turns),
        "by_type": by_type(turns),
    }


def closed_loop(url: str, customers: int, duration_s: float) -> dict:
    """Customers who send the next turn as soon as the last is answered."""
    turns: list[Turn] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration_s

    def customer() -> None:
        conversation = Conversation(url)
        while time.perf_counter() < stop_at:
            turn = conversation.take_turn()
            with lock:
                turns.append(turn)

    begin = time.perf_counter()
    with ThreadPoolExecutor(max_workers=customers) as executor:
        for future in [executor.submit(customer) for _ in range(customers)]:
            future.result()
    elapsed = time.perf_counter() - begin
    return {
        "customers": customers,
        "duration_s": round(elapsed, 2),
        "turns": len(turns),
        "turns_per_s": round(sum(t.ok for t in turns) / elapsed, 2),
        "errors": sum(not t.ok for t in turns),
        "by_type": by_type(turns),
    }


def long_conversations(url: str, conversations: int, length: int) -> dict:
    """Conversations of ``length`` turns, one after another (no contention)."""
    turns: list[Turn] = []
    for _ in range(conversations):
        conversation = Conversation(url)
        turns += [conversation.take_turn() for _ in range(length)]
    early, late = cycle_p50(turns, 5), cycle_p50(turns, length)
    return {
        "conversations": conversations,
        "turns_each": length,
        "errors": sum(not t.ok for t in turns),
        "p50_ms_turn_5": round(early, 2),
        f"p50_ms_turn_{length}": round(late, 2),
        "growth": round(late / early, 3),
        "by_type_turns_1_to_10": by_type(t for t in turns if t.index <= len(SCRIPT)),
        f"by_type_last_{len(SCRIPT)}_turns": by_type(
            t for t in turns if t.index > length - len(SCRIPT)
        ),
        "by_turn_cycle": {
            f"{first}-{first + len(SCRIPT) - 1}": round(cycle_p50(turns, first), 2)
            for first in range(1, length + 1, len(SCRIPT))
        },
    }


def measure(args: argparse.Namespace, env: dict[str, str], report: dict) -> None:
    """The three measurements against one `make serve`, into ``report``."""
    with Servers(env=env) as servers:
        url = servers.rest_url
        print("Warming up…", file=sys.stderr)
        warm = Conversation(url)
        for _ in range(2 * len(SCRIPT)):
            warm.take_turn()
        print(
            f"Open loop: {args.rate}/s for {args.open_seconds:.0f} s "
            f"over {args.conversations} conversations…",
            file=sys.stderr,
        )
        report["open_loop"] = open_loop(
            url, args.rate, args.open_seconds, args.conversations
        )
        print(f"Closed loop: {args.customers} customers…", file=sys.stderr)
        report["closed_loop"] = closed_loop(url, args.customers, args.closed_seconds)
        print(
            f"Long conversations: {args.long_conversations} × {args.long_turns}…",
            file=sys.stderr,
        )
        report["long"] = long_conversations(
            url, args.long_conversations, args.long_turns
        )


def main(argv: list[str] | None = None) -> None:
    """Starts the servers, runs the three phases, prints and writes the figures."""
    parser = argparse.ArgumentParser(description="Load benchmark over REST.")
    parser.add_argument("--out", default="bench/load.json")
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--open-seconds", type=float, default=60.0)
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--closed-seconds", type=float, default=30.0)
    parser.add_argument("--long-conversations", type=int, default=4)
    parser.add_argument("--long-turns", type=int, default=100)
    args = parser.parse_args(argv)
    if not (0 < args.rate <= 200 and 0 < args.open_seconds <= 600):
        parser.error("--rate must be in (0, 200] and --open-seconds in (0, 600]")
    if not (0 < args.closed_seconds <= 600 and 0 < args.long_turns <= 1000):
        parser.error("--closed-seconds in (0, 600], --long-turns in (0, 1000]")

    calls = int(args.rate * args.open_seconds) + 200 * args.customers * 10
    calls += args.long_conversations * args.long_turns
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "script": [list(s) for s in SCRIPT],
    }
    with tempfile.TemporaryDirectory(prefix="acme-load-") as folder:
        replies = Path(folder) / "replies.yml"
        replies.write_text(yaml.safe_dump([FAKE_REPLY] * calls))
        env = {"LLM_FAKE_REPLIES": str(replies), "LLM_PRELOAD": "1"}
        measure(args, env, report)
    opened = report["open_loop"]
    p95 = max(
        opened["by_type"].get(kind, {}).get("p95_ms", float("inf"))
        for kind in ("rule", "form")
    )
    report["targets"] = {
        "rule_form_p95_ms": {"target": TARGET_P95_MS, "measured": p95},
        "open_loop_errors": {"target": 0, "measured": opened["errors"]},
        "long_growth": {"target": TARGET_GROWTH, "measured": report["long"]["growth"]},
    }
    report["targets_met"] = (
        p95 <= TARGET_P95_MS
        and opened["errors"] == 0
        and report["long"]["growth"] <= TARGET_GROWTH
    )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    rows = opened["by_type"]
    print(
        f"open loop {args.rate}/s: "
        + ", ".join(
            f"{k} p50/p95/p99 {v.get('p50_ms')}/{v.get('p95_ms')}/{v.get('p99_ms')} ms"
            for k, v in rows.items()
        )
        + f", errors {opened['errors']}"
        + f" | closed loop {report['closed_loop']['turns_per_s']} turns/s"
        + f" | long p50 turn 5 {report['long']['p50_ms_turn_5']} ms,"
        + f" turn {args.long_turns} {report['long'][f'p50_ms_turn_{args.long_turns}']}"
        + f" ms (×{report['long']['growth']})"
        + f" | targets {'met' if report['targets_met'] else 'NOT met'} → {args.out}"
    )


if __name__ == "__main__":
    main()
