"""Open-ended turns reach action_llm_fallback, in and out of every form."""

import pytest

from tests.conftest import generated_rules, load_yaml

OPEN_ENDED = {
    "nlu_fallback",
    "out_of_scope",
    "chitchat",
    "product_question",
    # refused by the plugin's input guard, inside forms too
    "prompt_injection",
    "other_customer_data",
}


def llm_rules():
    return generated_rules()


def routed_intents(rule):
    (first, *_) = rule["steps"]
    return {option["intent"] for option in first.get("or", [first])}


def test_open_ended_intents_outside_forms_go_to_the_llm():
    outside = [
        rule for rule in llm_rules() if rule.get("condition") == [{"active_loop": None}]
    ]
    assert len(outside) == 1
    assert routed_intents(outside[0]) == OPEN_ENDED
    assert outside[0]["steps"][1:] == [{"action": "action_llm_fallback"}]


@pytest.mark.parametrize(
    "form", ["appointment_form", "order_status_form", "identity_form"]
)
def test_in_every_form_the_llm_answers_and_the_form_goes_on(form, domain):
    assert form in domain["forms"]
    (rule,) = [
        rule for rule in llm_rules() if rule.get("condition") == [{"active_loop": form}]
    ]
    assert routed_intents(rule) == OPEN_ENDED
    assert rule["steps"][1:] == [
        {"action": "action_llm_fallback"},
        {"action": form},
        {"active_loop": form},
    ]


def test_every_form_has_an_open_ended_rule(domain):
    covered = {
        rule["condition"][0]["active_loop"]
        for rule in llm_rules()
        if rule.get("condition")
    }
    assert set(domain["forms"]) <= covered


def test_free_text_answers_never_swallow_open_ended_turns(domain):
    """A from_text mapping that took an open question as a slot value would
    keep the form from rejecting it, and the question would go unanswered."""
    for name, slot in domain["slots"].items():
        for mapping in slot.get("mappings", []):
            if mapping["type"] == "from_text" and "intent" not in mapping:
                assert set(mapping.get("not_intent", [])) >= OPEN_ENDED, name


def test_no_other_rule_or_story_answers_open_ended_intents():
    """Only the LLM rules take these intents (no canned reply elsewhere)."""
    for folder in ("rules", "stories"):
        for path in ("basics", "appointments", "orders", "handoff"):
            try:
                data = load_yaml(f"data/{folder}/{path}.yml")
            except FileNotFoundError:
                continue
            for item in data.get(folder, []):
                for step in item.get("steps", []):
                    for option in step.get("or", [step]):
                        assert option.get("intent") not in OPEN_ENDED, item
