import json

import yaml
from rasa_hybrid.llm.knowledge import KnowledgeBase
from rasa_hybrid.llm.settings import LLMSettings

from bench.retrieval import DEV_QUESTIONS, UNANSWERABLE, evaluate, evaluate_unanswerable
from tests.conftest import load_yaml
from tests.unit.llm.test_knowledge import DOC, CountingEncoder

QUESTIONS = [
    {"id": "window", "question": "return window unused items", "expect": ["30 days"]},
    {"id": "timing", "question": "refund timing", "expect": ["10 business days"]},
    {"id": "absent", "question": "refund timing", "expect": ["no such fact"]},
]


def knowledge_of(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(DOC)
    return KnowledgeBase(docs, None, CountingEncoder())


def test_evaluate_counts_facts_in_the_best_and_used_passages(tmp_path):
    knowledge = knowledge_of(tmp_path)
    settings = LLMSettings.from_env({"LLM_RETRIEVAL_MIN_SCORE": "0.0"})
    for sentences in (True, False):
        report = evaluate(knowledge, QUESTIONS, settings, sentences)
        by_id = {row["id"]: row for row in report["rows"]}
        assert by_id["timing"]["best_has_fact"] and by_id["window"]["used_has_fact"]
        assert not by_id["absent"]["used_has_fact"]
        assert report["abstain"] == 0.0
    strict = LLMSettings.from_env({"LLM_RETRIEVAL_MIN_SCORE": "1.1"})
    assert evaluate(knowledge, QUESTIONS, strict)["abstain"] == 1.0


def test_the_development_questions_are_apart_from_the_reported_ones():
    dev = load_yaml(DEV_QUESTIONS)["questions"]
    reported = load_yaml("tests/redteam/benign.yml")["questions"]
    assert len(dev) >= 40
    assert not {q["question"].lower() for q in dev} & {
        q["question"].lower() for q in reported
    }
    assert all(q["id"].startswith("dev-") and q["expect"] for q in dev)


def test_recall_counts_the_rank_of_the_first_passage_with_the_fact(tmp_path):
    knowledge = knowledge_of(tmp_path)
    settings = LLMSettings.from_env({"LLM_RETRIEVAL_TOP_K": "1"})
    report = evaluate(knowledge, QUESTIONS, settings)
    ranks = {row["id"]: row["rank_of_fact"] for row in report["rows"]}
    assert ranks["timing"] == 1 and ranks["absent"] is None
    # Deeper than the passages the plugin prompts with: recall@3 sees rank 2.
    assert ranks["window"] in (1, 2)
    assert report["recall@1"] <= report["recall@3"] == 2 / 3


def test_abstaining_on_unanswerable_questions_is_counted(tmp_path):
    knowledge = knowledge_of(tmp_path)
    questions = [{"id": "una-x", "question": "do you sell televisions"}]
    lenient = LLMSettings.from_env({"LLM_RETRIEVAL_MIN_SCORE": "0.0"})
    strict = LLMSettings.from_env({"LLM_RETRIEVAL_MIN_SCORE": "1.1"})
    assert evaluate_unanswerable(knowledge, questions, lenient)["abstain"] == 0.0
    assert evaluate_unanswerable(knowledge, questions, strict)["abstain"] == 1.0


def test_the_unanswerable_questions_are_development_data_of_their_own():
    unanswerable = load_yaml(UNANSWERABLE)["questions"]
    assert len(unanswerable) >= 40
    assert len({q["id"] for q in unanswerable}) == len(unanswerable)
    assert all(q["id"].startswith("una-") and q["near"] for q in unanswerable)
    texts = {q["question"].lower() for q in unanswerable}
    for other in (DEV_QUESTIONS, "tests/redteam/benign.yml"):
        assert not texts & {
            q["question"].lower() for q in load_yaml(other)["questions"]
        }


def test_the_benchmark_writes_both_sets_figures(tmp_path, monkeypatch, capsys):
    from bench.retrieval import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(DOC)
    monkeypatch.setenv("LLM_KNOWLEDGE_DIR", str(docs))
    monkeypatch.setenv("LLM_KNOWLEDGE_CACHE", str(tmp_path / "cache"))
    answerable = tmp_path / "answerable.yml"
    answerable.write_text(yaml.safe_dump({"questions": QUESTIONS}))
    unanswerable = tmp_path / "unanswerable.yml"
    unanswerable.write_text(
        yaml.safe_dump(
            {"questions": [{"id": "una-tv", "question": "do you sell televisions"}]}
        )
    )
    out = tmp_path / "retrieval.json"
    assert (
        main(
            [
                "--questions",
                str(answerable),
                "--unanswerable",
                str(unanswerable),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = json.loads(out.read_text())
    assert report["questions"] == 3 and report["unanswerable"]["questions"] == 1
    assert {"recall@1", "recall@3"} <= set(report)
    assert "1 unanswerable: abstain" in capsys.readouterr().out


def test_the_quote_a_reply_would_show_is_measured_both_ways(tmp_path):
    knowledge = knowledge_of(tmp_path)
    lenient = {"LLM_RETRIEVAL_MIN_SCORE": "0.0", "LLM_RETRIEVAL_TOP_K": "1"}
    one = LLMSettings.from_env({**lenient, "LLM_QUOTE_MAX_SENTENCES": "1"})
    whole = LLMSettings.from_env({**lenient, "LLM_QUOTE_MAX_SENTENCES": "0"})
    extracted = {r["id"]: r for r in evaluate(knowledge, QUESTIONS, one)["rows"]}
    passages = {r["id"]: r for r in evaluate(knowledge, QUESTIONS, whole)["rows"]}
    timing = extracted["timing"]
    assert timing["quote_has_fact"] and timing["passage_quote_has_fact"]
    assert not extracted["absent"]["quote_has_fact"]
    # Set to 0, the quote is the passage quoted whole.
    assert passages["timing"]["quote_chars"] == timing["passage_quote_chars"]
