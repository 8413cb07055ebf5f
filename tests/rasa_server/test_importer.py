"""The plugin's importer: Rasa's files plus the generated rules and exclusions."""

from __future__ import annotations

from pathlib import Path

import yaml
from rasa.shared.importers.importer import TrainingDataImporter
from rasa_hybrid.contract import Contract
from rasa_hybrid.importer import HybridImporter

from tests.conftest import PROJECT_ROOT

CONTRACT = Contract(open_ended=("chitchat",), guard_intents=("prompt_injection",))


def _project(root: Path) -> None:
    (root / "data").mkdir(parents=True)
    (root / "domain").mkdir()
    domain = {
        "version": "3.1",
        "intents": ["inform", "chitchat"],
        "slots": {
            "answer": {
                "type": "text",
                "mappings": [{"type": "from_text", "not_intent": ["inform"]}],
            }
        },
        "forms": {"survey_form": {"required_slots": ["answer"]}},
        "responses": {"utter_ask_answer": [{"text": "?"}]},
    }
    (root / "domain.yml").write_text(yaml.safe_dump(domain))
    plugin = {
        "version": "3.1",
        "intents": ["prompt_injection"],
        "actions": ["action_llm_fallback"],
        "responses": {"utter_default": [{"text": "Sorry?"}]},
    }
    (root / "domain" / "rasa_hybrid.yml").write_text(yaml.safe_dump(plugin))
    (root / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: inform\n  examples: |\n    - yes\n'
    )


def test_the_plugins_domain_exclusions_and_rules_are_added(tmp_path: Path):
    _project(tmp_path)
    importer = HybridImporter(
        None,
        str(tmp_path / "domain.yml"),
        [str(tmp_path / "data")],
        plugin_domain=str(tmp_path / "domain" / "rasa_hybrid.yml"),
        contract=CONTRACT,
    )
    domain = importer.get_domain()
    assert "action_llm_fallback" in domain.user_actions
    assert "utter_default" in domain.responses
    (mapping,) = domain.as_dict()["slots"]["answer"]["mappings"]
    assert mapping["not_intent"] == ["inform", *CONTRACT.routed]
    names = {step.block_name for step in importer.get_stories().story_steps}
    assert names == {
        "rasa-hybrid: open-ended turn outside of any task",
        "rasa-hybrid: open-ended turn in survey_form, then go on",
    }


def test_a_domain_folder_holding_the_file_reads_it_once(tmp_path: Path):
    _project(tmp_path)
    (tmp_path / "domain.yml").rename(tmp_path / "domain" / "domain.yml")
    importer = HybridImporter(
        None,
        str(tmp_path / "domain"),
        [str(tmp_path / "data")],
        plugin_domain=str(tmp_path / "domain" / "rasa_hybrid.yml"),
        contract=CONTRACT,
    )
    assert importer.get_domain().intents.count("prompt_injection") == 1


def test_acme_trains_on_the_domain_the_tests_assume(monkeypatch):
    from rasa_hybrid.cli.check import effective_domain
    from rasa_hybrid.contract import project_contract

    monkeypatch.chdir(PROJECT_ROOT)
    importer = TrainingDataImporter.load_from_config(
        "config.yml", "domain.yml", ["data/nlu", "data/rules", "data/stories"]
    )
    trained = importer.get_domain().as_dict()
    expected = effective_domain(PROJECT_ROOT, project_contract())
    for name, slot in expected["slots"].items():
        got = trained["slots"][name].get("mappings", [])
        for want, have in zip(slot.get("mappings", []), got, strict=True):
            assert set(want.get("not_intent", [])) == set(have.get("not_intent", []))
    assert set(expected["responses"]) == set(trained["responses"])
