"""Runs in the Rasa environment (Python 3.10): `make pytest` runs it there."""

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_hybrid.nlu.unreadable_input import UnreadableInputClassifier, is_readable


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "where is my order A1234",
        "10001",  # a ZIP code typed alone
        "café au lait",
        "hi 你好",  # mostly Latin
        "  thx!! ",
    ],
)
def test_text_the_english_pipeline_can_read(text):
    assert is_readable(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t",
        "😀😀😀",
        "???!!!",
        "我最近购买了一台新洗衣机，但发现它有一些问题。你能帮我解决吗？",
        "Моя стиральная машина протекает",
        "غسالتي تسرب الماء",
        "\x00\x01\x02",
    ],
)
def test_text_with_nothing_to_understand(text):
    assert not is_readable(text)


def test_the_threshold_is_configurable():
    mostly_cyrillic = "ok стиральная"
    assert not is_readable(mostly_cyrillic, min_latin_share=0.5)
    assert is_readable(mostly_cyrillic, min_latin_share=0.1)


def classified(text, intent="greet"):
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.97}, add_to_output=True)
    message.set(
        INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.97}], add_to_output=True
    )
    return message


def test_unreadable_messages_become_nlu_fallback_with_full_confidence():
    component = UnreadableInputClassifier(
        UnreadableInputClassifier.get_default_config()
    )
    [message] = component.process([classified("😀😀😀")])

    assert message.get(INTENT) == {"name": "nlu_fallback", "confidence": 1.0}
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0] == {"name": "nlu_fallback", "confidence": 1.0}
    assert ranking[1]["name"] == "greet"
    assert INTENT in message.as_dict(only_output_properties=True)


def test_readable_messages_keep_their_intent():
    component = UnreadableInputClassifier(
        UnreadableInputClassifier.get_default_config()
    )
    [message] = component.process([classified("thanks a lot", intent="thank")])
    assert message.get(INTENT) == {"name": "thank", "confidence": 0.97}
