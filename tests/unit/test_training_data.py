"""Hygiene of domain.yml and the training data, checked before any training."""

import re
from collections import Counter

import pytest

from tests.conftest import PROJECT_ROOT, generated_rules, load_yaml

MIN_EXAMPLES_PER_INTENT = 20


def nlu_examples():
    """{intent: [example, ...]} over every NLU file."""
    examples = {}
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for block in load_yaml(path.relative_to(PROJECT_ROOT)).get("nlu", []):
            if "intent" in block:
                lines = block["examples"].splitlines()
                texts = [line[2:].strip() for line in lines if line.startswith("- ")]
                examples.setdefault(block["intent"], []).extend(texts)
    return examples


def dialogue_steps():
    """Every step of every rule and story, the plugin's generated rules too."""
    items = list(generated_rules())
    for folder in ("rules", "stories"):
        for path in sorted((PROJECT_ROOT / "data" / folder).glob("*.yml")):
            items += load_yaml(path.relative_to(PROJECT_ROOT)).get(folder, [])
    for item in items:
        for step in item.get("steps", []):
            yield from step.get("or", [step])


def test_every_intent_has_enough_varied_examples(domain):
    examples = nlu_examples()
    for intent in domain["intents"]:
        texts = examples.get(intent, [])
        assert len(set(texts)) >= MIN_EXAMPLES_PER_INTENT, intent


def test_no_example_is_taught_under_two_intents():
    owners = Counter(
        text.lower() for texts in nlu_examples().values() for text in set(texts)
    )
    assert [text for text, count in owners.items() if count > 1] == []


def test_training_data_uses_only_what_the_domain_declares(domain):
    steps = list(dialogue_steps())
    known_actions = (
        set(domain["actions"])
        | set(domain["responses"])
        | set(domain.get("forms", {}))
        | {"action_deactivate_loop"}
    )
    for step in steps:
        if "action" in step:
            assert step["action"] in known_actions, step
        if "intent" in step and step["intent"] != "nlu_fallback":
            assert step["intent"] in domain["intents"], step
    handled = {step["intent"] for step in steps if "intent" in step}
    assert set(domain["intents"]) <= handled, "every intent needs a rule or story"


def test_custom_slot_mappings_do_not_run_an_action_every_turn(domain):
    # A custom mapping that names an action makes Rasa run that action on
    # every user message (action_extract_slots): handoff would fire each turn.
    for name, slot in domain["slots"].items():
        for mapping in slot.get("mappings", []):
            if mapping.get("type") == "custom":
                assert "action" not in mapping, name


@pytest.mark.parametrize("name", ["utter_greet", "utter_help", "utter_default"])
def test_core_responses_exist_and_are_not_empty(domain, name):
    variants = domain["responses"][name]
    assert variants and all(variant["text"].strip() for variant in variants)


def test_test_story_files_are_named_so_that_rasa_reads_them():
    # `rasa test` silently skips story files whose names do not start with test_.
    files = sorted((PROJECT_ROOT / "tests" / "test_stories").glob("*.yml"))
    assert files
    assert [f.name for f in files if not f.name.startswith("test_")] == []


def test_every_response_is_used_by_a_rule_a_story_or_an_action(domain):
    # `rasa data validate` cannot see responses chosen by custom actions (or
    # offered by the LLM plugin, or sent by a channel) and warns about them;
    # this test knows all.
    in_dialogues = {step["action"] for step in dialogue_steps() if "action" in step}
    offered = {
        offer["response"] for offer in load_yaml("data/llm_offers.yml")["offers"]
    } | {
        category["response"]
        for category in load_yaml("data/guards/input.yml")["categories"].values()
    }
    action_code = "\n".join(
        path.read_text()
        for folder in ("actions", "plugin/src/rasa_hybrid")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    form_questions = {
        question
        for name, form in domain.get("forms", {}).items()
        for slot in form["required_slots"]
        for question in (f"utter_ask_{slot}", f"utter_ask_{name}_{slot}")
    }
    unused = [
        name
        for name in domain["responses"]
        if name not in in_dialogues | form_questions | offered
        and f'"{name}"' not in action_code
    ]
    assert unused == []


def _trained_texts() -> set[str]:
    return {
        re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text).lower()
        for texts in nlu_examples().values()
        for text in texts
    }


def _examples_of(path: str) -> dict[str, list[str]]:
    examples = {}
    for block in load_yaml(path)["nlu"]:
        lines = block["examples"].splitlines()
        examples[block["intent"]] = [
            line[2:].strip() for line in lines if line.startswith("- ")
        ]
    return examples


def test_held_out_nlu_examples_are_never_trained_on(domain):
    trained = _trained_texts()
    held_out = _examples_of("tests/nlu/holdout.yml")
    assert set(held_out) == set(domain["intents"])
    for intent, texts in held_out.items():
        assert len(texts) >= 5, intent
        assert [t for t in texts if t.lower() in trained] == [], intent


def test_the_routing_development_set_is_never_trained_on(domain):
    trained = _trained_texts()
    dev = _examples_of("tests/nlu/routing_dev.yml")
    assert set(dev) <= set(domain["intents"])
    for intent, texts in dev.items():
        assert len(texts) >= 20, intent
        assert [t for t in texts if t.lower() in trained] == [], intent
