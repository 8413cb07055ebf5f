"""Benchmark: latency and throughput of rule-handled turns over REST.

Starts the real servers (`make serve`, on free ports), replays a fixed script
of rule-handled turns in many conversations, and writes the figures as JSON.

    python -m bench.turns --out bench/turns.json [--conversations 60] [--clients 1]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import requests

from bench.stats import machine, summarize
from devtools.servers import Servers

# (turn type, what the customer types): every turn is answered by a rule;
# "handoff" also calls the action server.
SCRIPT: tuple[tuple[str, str], ...] = (
    ("greet", "hi"),
    ("help", "what can you do?"),
    ("bot_challenge", "are you a bot?"),
    ("handoff", "i want to talk to a human"),
    ("thank", "thanks"),
    ("goodbye", "bye"),
)
TARGET_P50_MS = 40.0


def run_conversation(
    url: str, script: Iterable[tuple[str, str]]
) -> list[tuple[str, float, str]]:
    """Plays the script in a new conversation: (turn type, ms, error) per turn.

    The error is empty for a turn that was answered, else what went wrong.
    """
    sender = f"bench-{uuid.uuid4().hex}"
    results = []
    with requests.Session() as session:
        for kind, text in script:
            start = time.perf_counter()
            try:
                reply = session.post(
                    url, json={"sender": sender, "message": text}, timeout=30
                )
                error = (
                    f"HTTP {reply.status_code}"
                    if reply.status_code != 200
                    else ("" if reply.json() else "no reply")
                )
            except (requests.RequestException, ValueError) as exc:
                error = type(exc).__name__
            results.append((kind, (time.perf_counter() - start) * 1000, error))
    return results


def measure(url: str, conversations: int, clients: int, warmup: int) -> dict:
    """Runs the benchmark against a running server and returns its figures."""
    for _ in range(warmup):
        run_conversation(url, SCRIPT)
    done = 0
    lock = threading.Lock()

    def one(_: int) -> list[tuple[str, float, str]]:
        nonlocal done
        result = run_conversation(url, SCRIPT)
        with lock:
            done += 1
            print(f"\r  conversations {done}/{conversations}", end="", file=sys.stderr)
        return result

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        turns = [
            turn for result in pool.map(one, range(conversations)) for turn in result
        ]
    elapsed = time.perf_counter() - start
    print(file=sys.stderr)
    answered = [ms for _, ms, error in turns if not error]
    by_type = {
        kind: summarize([ms for k, ms, error in turns if k == kind and not error])
        for kind, _ in SCRIPT
        if any(k == kind and not error for k, _, error in turns)
    }
    failures = Counter(f"{kind}: {error}" for kind, _, error in turns if error)
    overall = summarize(answered) if answered else {}
    return {
        "benchmark": "turns",
        "conversations": conversations,
        "clients": clients,
        "turns": len(turns),
        "errors": len(turns) - len(answered),
        "error_kinds": dict(failures),
        "elapsed_s": round(elapsed, 3),
        "turns_per_second": round(len(turns) / elapsed, 2),
        **overall,
        "by_turn_type": by_type,
        "target_p50_ms": TARGET_P50_MS,
        "target_met": bool(overall) and overall["p50_ms"] <= TARGET_P50_MS,
        "machine": machine(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/turns.json")
    parser.add_argument("--conversations", type=int, default=60)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    print("Starting the servers (make serve)...", file=sys.stderr)
    with Servers() as servers:
        figures = measure(
            servers.rest_url, args.conversations, args.clients, args.warmup
        )
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(figures, handle, indent=2)
    verdict = "met" if figures["target_met"] else "MISSED"
    print(
        f"turns: {figures['turns']} in {figures['elapsed_s']} s, "
        f"{figures['turns_per_second']} turns/s, p50 {figures.get('p50_ms')} ms, "
        f"p95 {figures.get('p95_ms')} ms, errors {figures['errors']} "
        f"(target p50 <= {TARGET_P50_MS:.0f} ms: {verdict}) -> {args.out}"
    )
    for kind, count in figures["error_kinds"].items():
        print(f"  failed: {kind} x{count}")
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
