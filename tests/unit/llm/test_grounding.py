import numpy as np
from rasa_hybrid.llm.grounding import (
    judge,
    numbers,
    sentence_support,
    unsupported_numbers,
)


def test_numbers_in_digits_and_words():
    assert numbers("within thirty days, 2 visits, 8:00, $1,200") == {
        "30",
        "2",
        "8:00",
        "1200",
    }


def test_invented_numbers_are_found():
    passage = "Unused items can be returned within 30 days of delivery."
    assert unsupported_numbers("You have 30 days.", passage) == []
    assert unsupported_numbers("You have ninety days.", passage) == ["90"]
    assert unsupported_numbers("My order 12 is late.", passage, "order 12 late") == []


def test_support_is_the_best_match_per_sentence():
    answer = np.array([[1.0, 0.0], [0.0, 1.0]])
    passages = np.array([[0.8, 0.6], [1.0, 0.0]])
    assert sentence_support(answer, passages) == [1.0, 0.6]
    assert sentence_support(answer, np.zeros((0, 2))) == [0.0, 0.0]


def test_judge_needs_every_sentence_supported_and_nothing_invented():
    sentences = ["Good.", "Weak."]
    assert judge(sentences, [0.9, 0.7], [], 0.55).supported
    weak = judge(sentences, [0.9, 0.4], [], 0.55)
    assert (weak.supported, weak.weakest, weak.min_support) == (False, "Weak.", 0.4)
    assert not judge(sentences, [0.9, 0.9], ["90"], 0.55).supported
    assert not judge([], [], [], 0.55).supported
