"""Benchmark: does retrieval find the passage that answers each question?

No model call and no servers: the knowledge index alone, as the LLM plugin
uses it. For every question of a file in the red-team format (``question``,
``expect``), it retrieves the passages and records whether the best one holds
an expected fact (recall at 1 and 3), whether any passage the plugin would
use holds one, and whether the plugin would abstain (best cosine below
``LLM_RETRIEVAL_MIN_SCORE``). For the questions of ``--unanswerable`` (whose
answer is in no document) abstaining is right: it reports how often it does.

    python -m bench.retrieval [--questions tests/redteam/dev_questions.yml]
        [--unanswerable tests/answers/unanswerable_dev.yml]
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
from rasa_hybrid.llm.responder import MAX_QUOTE_CHARS, quote_of
from rasa_hybrid.llm.settings import LLMSettings

from bench.redteam_metrics import has_fact
from devtools.servers import PROJECT_ROOT

DEV_QUESTIONS = PROJECT_ROOT / "tests" / "redteam" / "dev_questions.yml"
UNANSWERABLE = PROJECT_ROOT / "tests" / "answers" / "unanswerable_dev.yml"


#: Ranks at which retrieval recall is reported (the plugin prompts with top_k).
RECALL_AT = (1, 3)


def _hits(
    knowledge: KnowledgeBase, text: str, depth: int, sentences: bool
) -> list[Any]:
    """The ``depth`` best passages, as the plugin ranks them."""
    if sentences:
        return knowledge.retrieve(text, depth)
    index = knowledge.index()
    query = knowledge.encoder.encode([text])[0]
    return search(
        query, index.vectors, index.chunks, depth, knowledge.keyword_scores(text)
    )


def _outcome(
    question: dict[str, Any], hits: list[Any], used: list[Any]
) -> dict[str, Any]:
    """What every question records: its best passage and whether it abstains."""
    return {
        "id": question["id"],
        "best_score": round(hits[0].score if hits else -1.0, 4),
        "best_source": hits[0].chunk.doc if hits else None,
        "abstain": not used,
    }


def _quotes(
    knowledge: KnowledgeBase,
    question: dict[str, Any],
    used: list[Any],
    settings: LLMSettings,
) -> dict[str, Any]:
    """What a quoted reply would show: the answering sentences, or the passage."""
    if not used:
        return {
            "quote_has_fact": False,
            "passage_quote_has_fact": False,
            "quote_chars": 0,
            "passage_quote_chars": 0,
        }
    whole = quote_of(used[0])
    extract = knowledge.answer_sentences(
        question["question"],
        [hit.chunk for hit in used],
        settings.quote_max_sentences,
        MAX_QUOTE_CHARS,
    )
    quote = extract.text if extract else whole
    return {
        "quote_has_fact": has_fact([quote], question["expect"]),
        "passage_quote_has_fact": has_fact([whole], question["expect"]),
        "quote_chars": len(quote),
        "passage_quote_chars": len(whole),
    }


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 1) if values else 0.0


def evaluate(
    knowledge: KnowledgeBase,
    questions: list[dict[str, Any]],
    settings: LLMSettings,
    sentences: bool = True,
) -> dict[str, Any]:
    """Per-question outcomes and the totals, for questions the documents answer.

    ``rank_of_fact`` is the rank of the first passage holding an expected fact
    among the ``max(RECALL_AT)`` best; ``abstain`` is a false abstention here.
    """
    depth = max(settings.retrieval_top_k, *RECALL_AT)
    rows = []
    for question in questions:
        hits = _hits(knowledge, question["question"], depth, sentences)
        used = usable_passages(
            hits[: settings.retrieval_top_k], settings.retrieval_min_score
        )
        rank = next(
            (
                i + 1
                for i, hit in enumerate(hits)
                if has_fact([hit.chunk.text], question["expect"])
            ),
            None,
        )
        rows.append(
            {
                **_outcome(question, hits, used),
                "rank_of_fact": rank,
                "best_has_fact": rank == 1,
                "used_has_fact": has_fact(
                    [h.chunk.text for h in used], question["expect"]
                ),
                **_quotes(knowledge, question, used, settings),
            }
        )
    count = max(len(rows), 1)
    recall = {
        f"recall@{k}": sum(
            r["rank_of_fact"] is not None and r["rank_of_fact"] <= k for r in rows
        )
        / count
        for k in RECALL_AT
    }
    quoted = [r for r in rows if not r["abstain"]]
    return {
        "questions": len(rows),
        "best_has_fact": sum(r["best_has_fact"] for r in rows) / count,
        "quote_has_fact": sum(r["quote_has_fact"] for r in rows) / count,
        "passage_quote_has_fact": sum(r["passage_quote_has_fact"] for r in rows)
        / count,
        "quote_chars": _mean([r["quote_chars"] for r in quoted]),
        "passage_quote_chars": _mean([r["passage_quote_chars"] for r in quoted]),
        "used_has_fact": sum(r["used_has_fact"] for r in rows) / count,
        "abstain": sum(r["abstain"] for r in rows) / count,
        **recall,
        "rows": rows,
    }


def evaluate_unanswerable(
    knowledge: KnowledgeBase,
    questions: list[dict[str, Any]],
    settings: LLMSettings,
    sentences: bool = True,
) -> dict[str, Any]:
    """How often retrieval alone abstains on questions no document answers."""
    rows = []
    for question in questions:
        hits = _hits(
            knowledge, question["question"], settings.retrieval_top_k, sentences
        )
        used = usable_passages(hits, settings.retrieval_min_score)
        rows.append(_outcome(question, hits, used))
    count = max(len(rows), 1)
    return {
        "questions": len(rows),
        "abstain": sum(r["abstain"] for r in rows) / count,
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Evaluates retrieval on the question files; prints a summary; writes JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEV_QUESTIONS)
    parser.add_argument("--unanswerable", type=Path, default=UNANSWERABLE)
    parser.add_argument(
        "--passages-only",
        action="store_true",
        help="score passages by their own cosine only (no sentence vectors)",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/retrieval.json"))
    args = parser.parse_args(argv)
    started = time.monotonic()
    settings = LLMSettings.from_env()
    knowledge = KnowledgeBase(settings.knowledge_dir, settings.knowledge_cache)
    sentences = not args.passages_only
    report = evaluate(knowledge, _questions(args.questions), settings, sentences)
    report["file"] = str(args.questions)
    report["unanswerable"] = {
        "file": str(args.unanswerable),
        **evaluate_unanswerable(
            knowledge, _questions(args.unanswerable), settings, sentences
        ),
    }
    report["sentences"] = sentences
    report["seconds"] = round(time.monotonic() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    unanswerable = report["unanswerable"]
    print(
        f"retrieval ({'passages and sentences' if sentences else 'passages'}"
        f", {report['questions']} questions): best passage has the fact "
        f"{report['best_has_fact']:.1%}, in the best 3 {report['recall@3']:.1%}, "
        f"passages used have it {report['used_has_fact']:.1%}, the quote has it "
        f"{report['quote_has_fact']:.1%} in {report['quote_chars']:.0f} characters "
        f"(whole passage: {report['passage_quote_has_fact']:.1%} in "
        f"{report['passage_quote_chars']:.0f}), abstain "
        f"{report['abstain']:.1%}; {unanswerable['questions']} unanswerable: "
        f"abstain {unanswerable['abstain']:.1%} -> {args.out}"
    )
    return 0


def _questions(path: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["questions"]


if __name__ == "__main__":
    sys.exit(main())
