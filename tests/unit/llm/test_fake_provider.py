import asyncio
from pathlib import Path

import pytest
from rasa_hybrid.providers.fake import FakeProvider, ScriptExhausted

MESSAGES = [{"role": "user", "content": "hi"}]


def complete(provider, max_new_tokens=64, timeout=5.0):
    return asyncio.run(provider.complete(MESSAGES, max_new_tokens, timeout))


def test_replies_in_order_and_records_prompts():
    provider = FakeProvider(["One.", "Two."])
    assert complete(provider).text == "One."
    assert complete(provider).text == "Two."
    assert provider.calls == [MESSAGES, MESSAGES]
    assert provider.remaining == 0
    with pytest.raises(ScriptExhausted, match="called 3 times, scripted for 2"):
        complete(provider)


def test_replies_are_cut_to_the_token_limit():
    completion = complete(FakeProvider(["one two three four five"]), max_new_tokens=3)
    assert completion.text == "one two three"
    assert completion.completion_tokens == 3


def test_a_script_file(tmp_path: Path):
    path = tmp_path / "replies.yml"
    path.write_text("- First.\n- {text: Second., delay_s: 0}\n- {error: boom}\n")
    provider = FakeProvider.from_file(path)
    assert complete(provider).text == "First."
    assert complete(provider).text == "Second."
    with pytest.raises(Exception, match="boom"):
        complete(provider)


def test_a_malformed_script_is_refused(tmp_path: Path):
    path = tmp_path / "replies.yml"
    path.write_text("- {txt: typo}\n")
    with pytest.raises(ValueError, match="Not a scripted reply"):
        FakeProvider.from_file(path)
