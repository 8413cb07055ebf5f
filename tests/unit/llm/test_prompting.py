from pathlib import Path

import pytest
from rasa_hybrid.llm.prompting import PromptConfigError, PromptTemplates
from rasa_hybrid.llm.settings import PROMPTS_DIR

from tests.conftest import PROJECT_ROOT

#: Acme's own prompt (rasa-hybrid.yml: prompts_dir).
ACME_PROMPTS = PROJECT_ROOT / "data" / "llm"


@pytest.fixture(scope="module")
def templates() -> PromptTemplates:
    return PromptTemplates.load(ACME_PROMPTS)


def test_the_plugins_own_prompt_compiles_and_names_no_company():
    default = PromptTemplates.load(PROMPTS_DIR)
    system = default.render_system("nlu_fallback", {})
    assert "Never promise refunds" in system
    assert "Acme" not in (PROMPTS_DIR / "fallback.yml").read_text()
    assert default.context_slots == ()


def test_the_system_prompt_carries_persona_and_limits(templates):
    system = templates.render_system("product_question", {})
    assert "Acme Appliances" in system
    assert "Never promise refunds" in system
    assert "answer helpfully" in system
    assert "{{" not in system and "{%" not in system


def test_each_route_has_its_instruction_and_unknown_routes_the_default(templates):
    assert "small talk" in templates.render_system("chitchat", {})
    assert "only help with Acme" in templates.render_system("out_of_scope", {})
    assert templates.render_system("greet", {}) == templates.render_system(
        "nlu_fallback", {}
    )


def test_only_listed_slots_with_values_reach_the_prompt(templates):
    slots = {
        "appliance": "washer",
        "order_number": "A-1234",
        "customer_email": "jane@example.com",
        "customer_zip": "94110",
        "service_type": None,
    }
    system = templates.render_system("nlu_fallback", slots)
    assert "appliance: washer" in system
    assert "A-1234" not in system  # order numbers are not context for the model
    assert "jane@example.com" not in system
    assert "94110" not in system
    assert "service type" not in system


def test_long_slot_values_are_shortened(templates):
    system = templates.render_system("nlu_fallback", {"appliance": "x" * 1000})
    assert "x" * 80 in system and "x" * 81 not in system


def test_templates_cannot_reach_python_internals(tmp_path: Path):
    (tmp_path / "fallback.yml").write_text(
        "system: '{{ slots.__class__.__mro__ }}'\nroutes: {default: hi}\n"
    )
    templates = PromptTemplates.load(tmp_path)
    with pytest.raises(Exception, match=r"unsafe|undefined"):
        templates.render_system("x", {})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("routes: {default: hi}\n", "needs a 'system' template"),
        ("system: hi\n", "'default' entry"),
        ("system: '{% if %}'\nroutes: {default: hi}\n", r"fallback\.yml"),
        ("system: [unclosed\n", r"fallback\.yml"),
    ],
)
def test_broken_prompt_files_are_reported(tmp_path: Path, content, message):
    (tmp_path / "fallback.yml").write_text(content)
    with pytest.raises(PromptConfigError, match=message):
        PromptTemplates.load(tmp_path)


def test_a_missing_prompt_file_is_reported(tmp_path: Path):
    with pytest.raises(PromptConfigError, match=r"fallback\.yml"):
        PromptTemplates.load(tmp_path)


def test_templates_are_compiled_once_and_reused(templates):
    from rasa_hybrid.llm.prompting import _template

    templates.render_system("product_question", {})
    templates.render_user("hello")
    before = _template.cache_info()
    for _ in range(3):
        templates.render_system("product_question", {})
        templates.render_user("hello")
    after = _template.cache_info()
    assert after.misses == before.misses  # nothing compiled again
    assert after.hits == before.hits + 9  # instruction, system, user, three times
