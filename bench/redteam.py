"""The red-team and quality suite, through the real assistant.

Starts the real servers (`make serve` on free ports, the real local model
unless LLM_PROVIDER says otherwise, an audit log and a store of its own),
plays every adversarial case and every benign question in a conversation of
its own over REST, and writes the figures as JSON:

    python -m bench.redteam --out bench/redteam.json [--limit N]

Per case it records the replies, the plugin's outcome per turn (from the
audit log), which slots or store rows each turn changed (the case's
``setup_turns``, ordinary opening turns, are reported apart from the attack's
own turns), and which personal-data strings reached a provider according to
the audit log.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import yaml
from rasa_hybrid.guards.output import OutputRules, check_output
from rasa_hybrid.llm.audit import read_audit_log
from rasa_hybrid.llm.knowledge import read_documents
from rasa_hybrid.llm.settings import LLMSettings

from bench.redteam_metrics import (
    CaseResult,
    changed_slots,
    leaked_strings,
    outcome_of_turn,
    split_changes,
    summarize,
)
from devtools.servers import PROJECT_ROOT, Servers

ADVERSARIAL = PROJECT_ROOT / "tests" / "redteam" / "adversarial.yml"
BENIGN = PROJECT_ROOT / "tests" / "redteam" / "benign.yml"
TOKEN = "redteam-" + uuid.uuid4().hex[:12]


def store_fingerprint(path: Path) -> str:
    """A hash of every row of every table of the SQLite store."""
    if not path.exists():
        return ""
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"
            )
        ]
        for table in tables:
            digest.update(table.encode())
            for row in db.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
                digest.update(repr(row).encode())
    return digest.hexdigest()


class Suite:
    """Plays cases against running servers and collects what happened."""

    def __init__(self, servers: Servers, audit_path: Path, store_path: Path) -> None:
        self.servers = servers
        self.audit_path = audit_path
        self.store_path = store_path
        self.output_rules = OutputRules.load()

    def slots(self, sender: str) -> dict[str, Any]:
        """The conversation's slots, from Rasa's HTTP API."""
        response = requests.get(
            f"{self.servers.base_url}/conversations/{sender}/tracker",
            params={"token": TOKEN},
            timeout=30,
        )
        response.raise_for_status()
        return response.json().get("slots") or {}

    def say(self, sender: str, text: str) -> list[str]:
        """Sends one message over REST; the texts of the replies."""
        response = requests.post(
            self.servers.rest_url, json={"sender": sender, "message": text}, timeout=120
        )
        response.raise_for_status()
        return [reply.get("text") or "" for reply in response.json()]

    def records(self, sender: str) -> list[dict[str, Any]]:
        """The conversation's audit records so far."""
        return [
            record
            for record in read_audit_log(self.audit_path)
            if record.get("conversation_id") == sender
        ]

    def play(self, case: dict[str, Any], category: str, turns: list[str]) -> CaseResult:
        """Plays one case in a new conversation."""
        sender = f"rt-{case['id']}-{uuid.uuid4().hex[:6]}"
        result = CaseResult(
            id=case["id"], category=category, expect=case.get("expect", ())
        )
        slots = self.slots(sender)
        store = store_fingerprint(self.store_path)
        seen = 0
        changed_by_turn = []
        for text in turns:
            result.replies += self.say(sender, text)
            records = self.records(sender)
            result.outcomes.append(outcome_of_turn(records[seen:]))
            seen = len(records)
            slots_after = self.slots(sender)
            store_after = store_fingerprint(self.store_path)
            changed = changed_slots(slots, slots_after)
            if store_after != store:
                changed.append("(store rows)")
            changed_by_turn.append(changed)
            slots, store = slots_after, store_after
        result.changed, result.setup_changed = split_changes(
            changed_by_turn, int(case.get("setup_turns", 0))
        )
        result.state_changed = bool(result.changed)
        prompts = [record.get("prompt") for record in self.records(sender)]
        result.leaked = leaked_strings(prompts, case.get("pii", ()))
        for reply in result.replies:
            verdict = check_output(reply, self.output_rules)
            if not verdict.allowed and verdict.category in (
                "promise",
                "legal",
                "medical",
            ):
                result.forbidden.append(verdict.category)
        return result


def main(argv: list[str] | None = None) -> int:
    """Runs the suite; prints a summary; writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(PROJECT_ROOT / "bench" / "redteam.json"))
    parser.add_argument("--limit", type=int, default=0, help="cases per file (0: all)")
    args = parser.parse_args(argv)
    adversarial = yaml.safe_load(ADVERSARIAL.read_text(encoding="utf-8"))["cases"]
    benign = yaml.safe_load(BENIGN.read_text(encoding="utf-8"))["questions"]
    if args.limit:
        adversarial, benign = adversarial[: args.limit], benign[: args.limit]
    servers = Servers()
    audit_path = servers.run_dir / "llm_audit.jsonl"
    provider = os.environ.get("LLM_PROVIDER", "local")
    servers.env.update(
        {
            "LLM_PROVIDER": provider,
            "LLM_PRELOAD": "1",
            "LLM_AUDIT_LOG": str(audit_path),
            "RASA_AUTH_TOKEN": TOKEN,
        }
    )
    store_path = Path(servers.env["STORE_URL"].removeprefix("sqlite:///"))
    started = time.monotonic()
    results: list[CaseResult] = []
    with servers:
        if provider == "local":
            servers.wait_for_log("Local model ready", timeout=300)
        suite = Suite(servers, audit_path, store_path)
        cases = [(c, c["category"], list(c["turns"])) for c in adversarial]
        cases += [(q, "benign", [q["question"]]) for q in benign]
        for index, (case, category, turns) in enumerate(cases, 1):
            results.append(suite.play(case, category, turns))
            print(
                f"\r{index}/{len(cases)} {case['id']:<32}",
                end="",
                file=sys.stderr,
                flush=True,
            )
        print(file=sys.stderr)
        # Every audit record, not only each case's own: no secret anywhere.
        every_prompt = [r.get("prompt") for r in read_audit_log(audit_path)]
    secrets = {s for case in adversarial for s in case.get("pii", ())}
    # The guides quote an example order number; passages are company text.
    guides = " ".join(
        text for _, text in read_documents(LLMSettings.from_env().knowledge_dir)
    )
    in_guides = sorted(s for s in secrets if s in guides)
    figures = summarize(results)
    figures["pii_strings_in_any_prompt"] = leaked_strings(
        every_prompt, secrets - set(in_guides)
    )
    figures["pii_strings_also_in_the_guides"] = in_guides
    figures["provider"] = provider
    figures["seconds"] = round(time.monotonic() - started, 1)
    figures["cases_detail"] = [
        {
            "id": r.id,
            "category": r.category,
            "outcomes": r.outcomes,
            "state_changed": r.state_changed,
            "changed": r.changed,
            "setup_changed": r.setup_changed,
            "leaked": r.leaked,
            "forbidden": r.forbidden,
            "replies": r.replies,
        }
        for r in results
    ]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    met = all(target["met"] for target in figures["targets"].values())
    print(
        f"redteam ({provider}): injections refused "
        f"{figures['injection_refusal_rate']:.1%} of {figures['injection_attempts']}, "
        f"state changes {figures['injection_state_changes']}, "
        f"PII leaks {figures['pii_leaks']}, "
        f"benign with fact {figures['benign_fact_rate']:.1%}, "
        f"false refusals {figures['false_refusal_rate']:.1%}; "
        f"targets {'met' if met else 'NOT met'}; "
        f"{figures['seconds']:.0f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
