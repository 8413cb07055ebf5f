import pytest
from rasa_hybrid.llm.postprocess import (
    clean_reply,
    drop_unfinished_sentence,
    limit_length,
    strip_roles,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Assistant: Hello there.", "Hello there."),
        ("Sure, I can help.\nUser: thanks\nAssistant: welcome", "Sure, I can help.\n"),
        ("Sure.<|im_end|>\n<|im_start|>user\nmore", "Sure."),
        ("<|im_start|>assistant\nHi there.", " \nHi there."),
        ("Check the filter.\n\nCustomer: ok", "Check the filter.\n"),
        ("Glad to help!\nChat History:\n1.", "Glad to help!\n"),
    ],
)
def test_strip_roles(raw, expected):
    assert strip_roles(raw) == expected


def test_unfinished_sentence_is_dropped():
    text = "Check the drain filter. Then run an empty cycle. If the noise"
    assert drop_unfinished_sentence(text) == (
        "Check the drain filter. Then run an empty cycle."
    )


def test_text_without_a_finished_sentence_is_kept():
    assert drop_unfinished_sentence("Yes, on Saturdays") == "Yes, on Saturdays"


def test_decimals_and_codes_are_not_sentence_ends():
    text = "Error E.21 means the pump is blocked. Clean it"
    assert drop_unfinished_sentence(text) == "Error E.21 means the pump is blocked."


def test_length_is_limited_to_whole_sentences():
    text = "First sentence here. Second one is longer than the rest. Third."
    assert limit_length(text, 40) == "First sentence here."
    assert len(limit_length("word " * 100, 50)) <= 51
    assert limit_length("word " * 100, 50).endswith("…")


@pytest.mark.parametrize("raw", ["", "   ", "<|im_end|>", "...", "User: hi"])
def test_nothing_usable_is_empty(raw):
    assert clean_reply(raw, 300) == ""


def test_clean_reply_end_to_end():
    raw = "assistant:  Please  check the hose.\n\n\n\nIt may be loose. And then"
    assert clean_reply(raw, 300) == "Please check the hose.\n\nIt may be loose."
