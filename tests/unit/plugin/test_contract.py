"""The domain contract: rules and exclusions generated from one list."""

from __future__ import annotations

from rasa_hybrid.contract import FALLBACK_ACTION, Contract, project_contract
from rasa_hybrid.llm.settings import LLMSettings

from tests.conftest import PROJECT_ROOT

CONTRACT = Contract(
    open_ended=("chitchat", "out_of_scope"),
    guard_intents=("prompt_injection", "other_customer_data"),
    guard_responses=("utter_guard_refusal", "utter_guard_privacy"),
)


def test_routed_intents_are_nlu_fallback_the_open_ones_and_the_attacks():
    assert CONTRACT.routed == (
        "nlu_fallback",
        "chitchat",
        "out_of_scope",
        "prompt_injection",
        "other_customer_data",
    )
    assert "nlu_fallback" not in CONTRACT.intents
    assert {"utter_guard_privacy", "utter_knowledge_unknown"} <= set(CONTRACT.responses)


def test_one_rule_outside_forms_and_one_per_form():
    rules = CONTRACT.fallback_rules(["order_form", "booking_form"])
    assert [rule["condition"] for rule in rules] == [
        [{"active_loop": None}],
        [{"active_loop": "booking_form"}],
        [{"active_loop": "order_form"}],
    ]
    inside = rules[2]["steps"]
    assert inside[0] == {"or": [{"intent": i} for i in CONTRACT.routed]}
    assert inside[1:] == [
        {"action": FALLBACK_ACTION},
        {"action": "order_form"},
        {"active_loop": "order_form"},
    ]


def test_text_mappings_exclude_every_routed_intent_entity_mappings_the_attacks():
    slots = {
        "answer": {"mappings": [{"type": "from_text", "not_intent": ["stop"]}]},
        "email": {"mappings": [{"type": "from_entity", "entity": "email"}]},
        "yes": {"mappings": [{"type": "from_text", "intent": ["affirm"]}]},
        "flag": {"mappings": [{"type": "from_intent", "intent": "deny", "value": 1}]},
        "plain": {"type": "text"},
    }
    result = CONTRACT.with_exclusions(slots)
    assert result["answer"]["mappings"][0]["not_intent"] == ["stop", *CONTRACT.routed]
    assert result["email"]["mappings"][0]["not_intent"] == list(CONTRACT.guard_intents)
    assert result["yes"] == slots["yes"]
    assert result["flag"] == slots["flag"]
    assert result["plain"] == slots["plain"]
    assert CONTRACT.with_exclusions(result) == result  # nothing added twice
    assert CONTRACT.missing_exclusions(result) == []
    assert CONTRACT.missing_exclusions(slots) == [
        ("answer", 0, CONTRACT.routed),
        ("email", 0, CONTRACT.guard_intents),
    ]


def test_acmes_contract_comes_from_its_settings_and_guard_file():
    contract = project_contract(LLMSettings.from_env({}, project=PROJECT_ROOT))
    assert contract.open_ended == ("out_of_scope", "chitchat", "product_question")
    assert contract.guard_intents == ("prompt_injection", "other_customer_data")
    assert set(contract.guard_responses) == {
        "utter_guard_refusal",
        "utter_guard_privacy",
    }
