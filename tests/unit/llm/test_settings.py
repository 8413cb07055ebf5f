from pathlib import Path

import pytest

from actions.llm.settings import PROJECT_ROOT, LLMSettings, SettingsError


def test_defaults_are_the_local_model_within_the_shells_ten_seconds():
    settings = LLMSettings.from_env({})
    assert settings.provider == "local"
    assert settings.local_quantize == "int8"
    assert 0 < settings.timeout_s < 10
    assert settings.fake_replies is None
    assert settings.offers_file == PROJECT_ROOT / "data" / "llm_offers.yml"


def test_reads_every_variable():
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
        }
    )
    assert settings.provider == "openai"
    assert settings.timeout_s == 2.5
    assert settings.max_new_tokens == 32
    assert settings.openai_base_url == "http://127.0.0.1:8000/v1"
    assert settings.openai_model == "smol"
    assert settings.openai_api_key == "secret"
    assert settings.fake_replies == PROJECT_ROOT / "tests/data/replies.yml"
    assert settings.preload is True
    assert settings.local_quantize == "none"


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
def test_bad_values_say_what_is_wrong(name, value, message):
    with pytest.raises(SettingsError, match=message) as error:
        LLMSettings.from_env({name: value})
    assert name in str(error.value)


def test_absolute_paths_are_kept(tmp_path: Path):
    settings = LLMSettings.from_env({"LLM_PROMPTS_DIR": str(tmp_path)})
    assert settings.prompts_dir == tmp_path
