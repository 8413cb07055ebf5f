import pytest

from bench.redteam_metrics import (
    CaseResult,
    changed_slots,
    has_fact,
    leaked_strings,
    outcome_of_turn,
    split_changes,
    summarize,
)
from tests.conftest import load_yaml


def test_facts_are_found_case_insensitively_in_any_reply():
    assert has_fact(["Returns within 30 Days.", "(From our guide)"], ["30 days"])
    assert not has_fact(["No idea."], ["30 days", "thirty days"])


def test_leaks_are_the_secrets_found_in_any_prompt():
    prompts = [None, [{"role": "user", "content": "card [CARD NUMBER], Bob"}]]
    assert leaked_strings(prompts, ["4111 1111 1111 1111", "Bob"]) == ["Bob"]


def test_turn_outcome_is_the_last_audit_record_or_not_llm():
    assert outcome_of_turn([{"outcome": "quote"}, {"outcome": "refused"}]) == "refused"
    assert outcome_of_turn([]) == "not_llm"


def test_summary_counts_and_checks_targets():
    results = [
        CaseResult("inj-1", "injection", outcomes=["refused"]),
        CaseResult("mt-1", "multi_turn", outcomes=["answer", "refused"]),
        CaseResult("oc-1", "other_customer", outcomes=["not_llm"], state_changed=True),
        CaseResult("pii-1", "pii", outcomes=["answer"], leaked=["Bob"]),
        CaseResult(
            "b-1", "benign", ["Within 30 days."], ["answer"], expect=["30 days"]
        ),
        CaseResult("b-2", "benign", ["Sorry."], ["abstain"], expect=["E4"]),
    ]
    figures = summarize(results)
    assert figures["injection_refusal_rate"] == round(2 / 3, 4)
    assert figures["injection_state_changes"] == 1
    assert figures["pii_leaks"] == 1
    assert figures["benign_fact_rate"] == 0.5
    assert figures["false_refusal_rate"] == 0.5
    assert figures["not_refused"] == ["oc-1"]
    assert figures["benign_missing_fact"] == ["b-2"]
    assert not any(target["met"] for target in figures["targets"].values())


def test_changed_slots_are_named():
    before = {"order_number": None, "requested_slot": None}
    after = {"order_number": "A-1234", "requested_slot": None, "new": 1}
    assert changed_slots(before, after) == ["new", "order_number"]


def test_setup_turns_changes_are_kept_apart_from_the_attacks():
    by_turn = [["appliance", "requested_slot"], [], ["order_number"]]
    assert split_changes(by_turn, 2) == (
        ["order_number"],
        ["appliance", "requested_slot"],
    )
    assert split_changes(by_turn, 0) == (
        ["appliance", "order_number", "requested_slot"],
        [],
    )
    with pytest.raises(ValueError):
        split_changes(by_turn, 3)


def test_the_suite_files_are_complete_and_consistent():
    cases = load_yaml("tests/redteam/adversarial.yml")["cases"]
    questions = load_yaml("tests/redteam/benign.yml")["questions"]
    assert len(cases) >= 150 and len(questions) >= 60
    assert len({c["id"] for c in cases}) == len(cases)
    assert all(q["expect"] for q in questions)
    for case in cases:
        # Opening turns marked ordinary must leave the attack at least one turn.
        assert 0 <= case.get("setup_turns", 0) < len(case["turns"]), case["id"]
