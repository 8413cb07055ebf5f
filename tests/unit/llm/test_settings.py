import re
from dataclasses import fields
from pathlib import Path

import pytest
from rasa_hybrid.llm.settings import (
    PARSERS,
    PROMPTS_DIR,
    LLMSettings,
    SettingsError,
    env_variable,
)
from rasa_hybrid.project import PROJECT_VARIABLE, ProjectConfigError

from tests.conftest import PROJECT_ROOT


def test_defaults_are_the_local_model_within_the_shells_ten_seconds(tmp_path: Path):
    settings = LLMSettings.from_env({}, project=tmp_path)
    assert settings.provider == "local"
    assert settings.local_quantize == "int8"
    assert 0 < settings.timeout_s < 10
    assert settings.fake_replies is None
    assert settings.prompts_dir == PROMPTS_DIR
    assert settings.offers_file == tmp_path / "data" / "llm_offers.yml"
    assert settings.audit_log == tmp_path / "var" / "llm_audit.jsonl"


def test_reads_every_variable(tmp_path: Path):
    settings = LLMSettings.from_env(
        {
            "LLM_PROVIDER": "OpenAI",
            "LLM_TIMEOUT_S": "2.5",
            "LLM_MAX_NEW_TOKENS": "32",
            "LLM_OPENAI_BASE_URL": "http://127.0.0.1:8000/v1/",
            "LLM_OPENAI_MODEL": "smol",
            "LLM_OPENAI_API_KEY": "secret",
            "LLM_FAKE_REPLIES": "tests/data/replies.yml",
            "LLM_PRELOAD": "1",
            "LLM_LOCAL_QUANTIZE": "none",
        },
        project=tmp_path,
    )
    assert settings.provider == "openai"
    assert settings.timeout_s == 2.5
    assert settings.max_new_tokens == 32
    assert settings.openai_base_url == "http://127.0.0.1:8000/v1"
    assert settings.openai_model == "smol"
    assert settings.openai_api_key == "secret"
    assert settings.fake_replies == tmp_path / "tests/data/replies.yml"
    assert settings.preload is True
    assert settings.local_quantize == "none"


def test_every_setting_has_a_key_and_a_variable():
    names = [name for name in LLMSettings.__dataclass_fields__]
    assert names == list(PARSERS)
    assert env_variable("timeout_s") == "LLM_TIMEOUT_S"


def test_the_file_sets_what_the_environment_does_not(tmp_path: Path):
    (tmp_path / "rasa-hybrid.yml").write_text(
        "provider: openai\ntimeout_s: 3\npreload: true\nprompts_dir: my/prompts\n"
        "audit_log: off\n"
    )
    settings = LLMSettings.from_env({"LLM_TIMEOUT_S": "4.5"}, project=tmp_path)
    assert settings.provider == "openai"
    assert settings.timeout_s == 4.5  # the environment wins
    assert settings.preload is True
    assert settings.prompts_dir == tmp_path / "my" / "prompts"
    assert settings.audit_log is None


def test_the_project_folder_comes_from_its_variable(tmp_path: Path):
    (tmp_path / "rasa-hybrid.yml").write_text("knowledge_dir: docs\n")
    settings = LLMSettings.from_env({PROJECT_VARIABLE: str(tmp_path)})
    assert settings.knowledge_dir == tmp_path / "docs"


def test_acme_reads_its_own_prompt_and_files():
    settings = LLMSettings.from_env({}, project=PROJECT_ROOT)
    assert settings.prompts_dir == PROJECT_ROOT / "data" / "llm"
    assert settings.input_guard_file.is_file()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timeout: 3\n", "unknown setting 'timeout'"),
        ("timeout_s: soon\n", "rasa-hybrid.yml: timeout_s='soon' is not a number"),
        ("provider: gpt5\n", "choose one of local, openai, fake"),
    ],
)
def test_bad_file_entries_say_where(tmp_path: Path, text, message):
    (tmp_path / "rasa-hybrid.yml").write_text(text)
    with pytest.raises(SettingsError, match=message):
        LLMSettings.from_env({}, project=tmp_path)


def test_a_file_that_is_not_a_mapping_is_refused(tmp_path: Path):
    (tmp_path / "rasa-hybrid.yml").write_text("- provider\n")
    with pytest.raises(ProjectConfigError, match="mapping"):
        LLMSettings.from_env({}, project=tmp_path)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("LLM_PROVIDER", "gpt5", "choose one of local, openai, fake"),
        ("LLM_TIMEOUT_S", "soon", "not a number"),
        ("LLM_TIMEOUT_S", "0", "at least"),
        ("LLM_PRELOAD", "maybe", "use 1 or 0"),
        ("LLM_LOCAL_QUANTIZE", "int2", "choose one of"),
    ],
)
def test_bad_values_say_what_is_wrong(tmp_path: Path, name, value, message):
    with pytest.raises(SettingsError, match=message) as error:
        LLMSettings.from_env({name: value}, project=tmp_path)
    assert name in str(error.value)


def test_absolute_paths_are_kept(tmp_path: Path):
    settings = LLMSettings.from_env(
        {"LLM_PROMPTS_DIR": str(tmp_path)}, project=Path("/x")
    )
    assert settings.prompts_dir == tmp_path


def test_a_provider_by_module_and_function_is_accepted(tmp_path: Path):
    settings = LLMSettings.from_env(
        {"LLM_PROVIDER": "my_project.llm:Provider"}, project=tmp_path
    )
    assert settings.provider == "my_project.llm:Provider"


def test_every_key_and_only_those_is_in_the_plugin_readme():
    readme = (PROJECT_ROOT / "plugin" / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = {
        key
        for row in table.splitlines()
        if row.startswith("| `")
        for key in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    assert documented == {item.name for item in fields(LLMSettings)}
