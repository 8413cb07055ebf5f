import re

import pytest
from rasa_hybrid.llm.context import (
    TRUNCATION_MARK,
    Budget,
    PromptTooLarge,
    Turn,
    build_prompt,
    conversation_turns,
    truncate_to_tokens,
)


def count(text: str) -> int:
    return len(re.findall(r"\w+|[^\w\s]", text))


def test_turns_skip_payloads_empty_bot_messages_and_the_current_message():
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hi"},
        {"event": "bot", "text": "Hello! How can I help?"},
        {"event": "user", "text": "/book_appointment"},
        {"event": "bot", "text": None, "data": {"buttons": []}},
        {"event": "slot", "name": "appliance", "value": "washer"},
        {"event": "bot", "text": "Which appliance?"},
        {"event": "user", "text": "is my warranty still valid?"},
    ]
    assert conversation_turns(events, limit=10) == [
        Turn("user", "hi"),
        Turn("assistant", "Hello! How can I help?"),
        Turn("assistant", "Which appliance?"),
    ]
    assert conversation_turns(events, limit=1) == [
        Turn("assistant", "Which appliance?")
    ]
    assert conversation_turns(events, limit=0) == []


def test_short_text_is_not_truncated():
    assert truncate_to_tokens("my washer leaks", 10, count) == "my washer leaks"


def test_long_text_is_cut_at_a_word_and_marked():
    text = " ".join(f"word{i}" for i in range(500))
    cut = truncate_to_tokens(text, 50, count)
    assert cut.endswith(TRUNCATION_MARK)
    assert count(cut) <= 50
    assert cut.startswith("word0 word1 ")
    assert "word10 " in cut


def test_a_huge_message_without_spaces_is_cut_too():
    cut = truncate_to_tokens("x" * 100_000, 20, len)
    assert len(cut) <= 20
    assert cut.startswith("xxx")


def test_prompt_keeps_the_newest_history_that_fits():
    history = [Turn("user", f"question number {i} " * 5) for i in range(20)]
    budget = Budget(max_prompt_tokens=120, max_user_tokens=40, message_overhead=3)
    prompt = build_prompt("You are helpful.", history, "what now?", budget, count)
    assert prompt.messages[0] == {"role": "system", "content": "You are helpful."}
    assert prompt.messages[-1]["content"].endswith("what now?")
    assert prompt.history_kept > 0
    assert prompt.history_dropped == 20 - prompt.history_kept
    assert "question number 19" in prompt.messages[-1]["content"]
    total = sum(count(m["content"]) + 3 for m in prompt.messages)
    assert total <= 120
    assert prompt.tokens <= 120


def test_a_huge_message_is_truncated_and_fits():
    budget = Budget(max_prompt_tokens=200, max_user_tokens=50)
    prompt = build_prompt("System.", [], "help " * 50_000, budget, count)
    assert prompt.user_truncated
    assert count(prompt.messages[-1]["content"]) <= 50


def test_history_alternates_roles():
    history = [Turn("assistant", "Hi."), Turn("assistant", "Which appliance?")]
    budget = Budget(max_prompt_tokens=200, max_user_tokens=50)
    prompt = build_prompt("System.", history, "a question", budget, count)
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "assistant", "user"]
    assert prompt.messages[1]["content"] == "Hi.\nWhich appliance?"


def test_a_system_text_larger_than_the_budget_is_an_error():
    budget = Budget(max_prompt_tokens=20, max_user_tokens=10)
    with pytest.raises(PromptTooLarge):
        build_prompt("word " * 50, [], "hi", budget, count)
