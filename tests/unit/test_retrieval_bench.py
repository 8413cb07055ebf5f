from rasa_hybrid.llm.knowledge import KnowledgeBase
from rasa_hybrid.llm.settings import LLMSettings

from bench.retrieval import DEV_QUESTIONS, evaluate
from tests.conftest import load_yaml
from tests.unit.llm.test_knowledge import DOC, CountingEncoder

QUESTIONS = [
    {"id": "window", "question": "return window unused items", "expect": ["30 days"]},
    {"id": "timing", "question": "refund timing", "expect": ["10 business days"]},
    {"id": "absent", "question": "refund timing", "expect": ["no such fact"]},
]


def test_evaluate_counts_facts_in_the_best_and_used_passages(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(DOC)
    knowledge = KnowledgeBase(docs, None, CountingEncoder())
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
