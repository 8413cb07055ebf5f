"""rasa-hybrid init and check on a project as `rasa init` creates it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from rasa_hybrid.cli import main
from rasa_hybrid.cli.check import check_project
from rasa_hybrid.cli.init import project_files

from tests.conftest import PROJECT_ROOT

MOODBOT = PROJECT_ROOT / "examples" / "moodbot"
#: The files `rasa init --no-prompt` writes that `rasa-hybrid init` edits.
RASA_INIT = PROJECT_ROOT / "tests" / "data" / "rasa_init"


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """moodbot as `rasa init` left it, before the plugin came."""
    root = tmp_path / "moodbot"
    root.mkdir()
    shutil.copy2(MOODBOT / "domain.yml", root)
    for name in ("nlu.yml", "rules.yml", "stories.yml"):
        (root / "data").mkdir(exist_ok=True)
        shutil.copy2(MOODBOT / "data" / name, root / "data")
    (root / "actions").mkdir()
    for name in ("__init__.py", "actions.py"):
        shutil.copy2(MOODBOT / "actions" / name, root / "actions")
    shutil.copytree(MOODBOT / "tests", root / "tests")
    for name in ("config.yml", "endpoints.yml", "credentials.yml"):
        shutil.copy2(RASA_INIT / name, root)
    return root


def _errors(root: Path) -> list[str]:
    return [f.problem for f in check_project(root) if f.level == "error"]


def _texts(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_fresh_project_misses_the_plugin(fresh: Path):
    errors = _errors(fresh)
    assert "no FallbackClassifier: no message is ever sent to the LLM" in errors
    assert any("action_llm_fallback" in error for error in errors)


def test_init_adds_what_check_asks_for_and_keeps_every_line(fresh: Path):
    before = _texts(fresh)
    changes = {change.path: change.action for change in project_files(fresh)}
    assert changes["config.yml"] == "updated"
    assert changes["domain/rasa_hybrid.yml"] == "created"
    after = _texts(fresh)
    for name, text in before.items():
        kept = [
            line
            for line in text.splitlines()
            if line.strip() and line != "assistant_id: placeholder_default"
        ]
        assert all(line in after[name].splitlines() for line in kept), name
    assert _errors(fresh) == []
    config = yaml.safe_load(after["config.yml"])
    assert config["importers"] == [{"name": "rasa_hybrid.importer.HybridImporter"}]
    assert "RulePolicy" in [policy["name"] for policy in config["policies"]]
    assert config["assistant_id"] == "moodbot"  # Rasa would rewrite the file


def test_init_twice_changes_nothing(fresh: Path):
    project_files(fresh)
    once = _texts(fresh)
    assert {change.action for change in project_files(fresh)} == {"kept"}
    assert _texts(fresh) == once


def test_init_makes_the_committed_example(fresh: Path):
    project_files(fresh)
    made = _texts(fresh)
    committed = {
        name: text
        for name, text in _texts(MOODBOT).items()
        # The example's README is its own, written after the commands.
        if "__pycache__" not in name and name != "README.md"
    }
    assert made == committed


def test_check_names_a_missing_rule_without_the_importer(fresh: Path):
    project_files(fresh)
    config = fresh / "config.yml"
    text = config.read_text()
    config.write_text(text[: text.index("\n# rasa-hybrid: Rasa's files")] + "\n")
    errors = _errors(fresh)
    assert (
        "no rule sends nlu_fallback, other_customer_data, out_of_scope,"
        " prompt_injection to action_llm_fallback outside of any form"
    ) in errors


def test_check_names_a_form_slot_that_would_take_an_open_question(fresh: Path):
    project_files(fresh)
    (fresh / "config.yml").write_text(
        (fresh / "config.yml").read_text().split("\n# rasa-hybrid: Rasa's files")[0]
    )
    (fresh / "rasa-hybrid.yml").write_text("open_ended_intents: [mood_great]\n")
    domain = yaml.safe_load((fresh / "domain.yml").read_text())
    domain["forms"] = {"feedback_form": {"required_slots": ["feedback"]}}
    domain["slots"] = {
        "feedback": {
            "type": "text",
            "mappings": [{"type": "from_text", "not_intent": ["nlu_fallback"]}],
        }
    }
    (fresh / "domain.yml").write_text(yaml.safe_dump(domain))
    errors = _errors(fresh)
    assert any(
        error.startswith("slot feedback, mapping 1 takes its value from mood_great,")
        for error in errors
    )
    assert any("in feedback_form" in error for error in errors)


def test_acme_passes_the_check(capsys):
    assert main(["check", str(PROJECT_ROOT)]) == 0
    assert "everything the plugin needs" in capsys.readouterr().out


def test_init_outside_a_rasa_project_says_so(tmp_path: Path, capsys):
    assert main(["init", "--no-models", str(tmp_path)]) == 2
    assert "not a Rasa project" in capsys.readouterr().out


def _warnings(root: Path) -> list[str]:
    return [f.problem for f in check_project(root) if f.level == "warning"]


def test_the_calibrated_classifier_must_exempt_the_attack_intents(fresh: Path):
    project_files(fresh)
    config_path = fresh / "config.yml"
    config = yaml.safe_load(config_path.read_text())
    names = [c["name"] for c in config["pipeline"]]
    assert "rasa_hybrid.nlu.calibrated_fallback.CalibratedFallbackClassifier" in names
    classifier = next(c for c in config["pipeline"] if "exempt_intents" in c)
    assert classifier["novelty_strength"] > 0
    assert not any("does not list" in w for w in _warnings(fresh))
    classifier["exempt_intents"] = []
    config_path.write_text(yaml.safe_dump(config))
    assert any(
        "LinearIntentClassifier does not list prompt_injection" in w
        for w in _warnings(fresh)
    )
    classifier["novelty_strength"] = 0.0  # no penalty: nothing to exempt from
    config_path.write_text(yaml.safe_dump(config))
    assert not any("does not list" in w for w in _warnings(fresh))
