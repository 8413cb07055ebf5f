"""Benchmark: does retrieval find the passage that answers each question?

No model call and no servers: the knowledge index alone, as the LLM plugin
uses it. For every question of a file in the red-team format (``question``,
``expect``), it retrieves the passages and records whether the best one holds
an expected fact, whether any passage the plugin would use holds one, and
whether the plugin would abstain (best cosine below ``LLM_RETRIEVAL_MIN_SCORE``).

    python -m bench.retrieval [--questions tests/redteam/dev_questions.yml]
        [--passages-only] [--out bench/retrieval.json]

Tune retrieval on the development questions (the default), never on
``tests/redteam/benign.yml``, whose figures `make redteam` reports.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml
from rasa_hybrid.llm.knowledge import KnowledgeBase, search, usable_passages
from rasa_hybrid.llm.settings import LLMSettings

from bench.redteam_metrics import has_fact
from devtools.servers import PROJECT_ROOT

DEV_QUESTIONS = PROJECT_ROOT / "tests" / "redteam" / "dev_questions.yml"


def evaluate(
    knowledge: KnowledgeBase,
    questions: list[dict[str, Any]],
    settings: LLMSettings,
    sentences: bool = True,
) -> dict[str, Any]:
    """Per-question outcomes and the totals."""
    index = knowledge.index()
    rows = []
    for question in questions:
        if sentences:
            hits = knowledge.retrieve(question["question"], settings.retrieval_top_k)
        else:
            query = knowledge.encoder.encode([question["question"]])[0]
            hits = search(
                query,
                index.vectors,
                index.chunks,
                settings.retrieval_top_k,
                knowledge.keyword_scores(question["question"]),
            )
        best = hits[0].score if hits else -1.0
        used = usable_passages(hits, settings.retrieval_min_score)
        rows.append(
            {
                "id": question["id"],
                "best_score": round(best, 4),
                "best_source": hits[0].chunk.doc if hits else None,
                "abstain": not used,
                "best_has_fact": bool(hits)
                and has_fact([hits[0].chunk.text], question["expect"]),
                "used_has_fact": has_fact(
                    [h.chunk.text for h in used], question["expect"]
                ),
            }
        )
    count = max(len(rows), 1)
    return {
        "questions": len(rows),
        "best_has_fact": sum(r["best_has_fact"] for r in rows) / count,
        "used_has_fact": sum(r["used_has_fact"] for r in rows) / count,
        "abstain": sum(r["abstain"] for r in rows) / count,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Evaluates retrieval on a question file; prints a summary; writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument(
        "--passages-only",
        action="store_true",
        help="score passages by their own cosine only (no sentence vectors)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/retrieval.json"))
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.questions.read_text(encoding="utf-8"))
    started = time.monotonic()
    settings = LLMSettings.from_env()
    report = evaluate(
        KnowledgeBase(settings.knowledge_dir, settings.knowledge_cache),
        data["questions"],
        settings,
        not args.passages_only,
    )
    report["file"] = str(args.questions)
    report["sentences"] = not args.passages_only
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(
        f"retrieval ({'passages and sentences' if report['sentences'] else 'passages'}"
        f", {report['questions']} questions): best passage has the fact "
        f"{report['best_has_fact']:.1%}, passages used have it "
        f"{report['used_has_fact']:.1%}, abstain {report['abstain']:.1%} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
