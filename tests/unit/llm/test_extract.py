"""The answering sentences of a passage: the pure choice, and with the real encoder."""

import numpy as np
import pytest
from rasa_hybrid.guards.output import sentences
from rasa_hybrid.llm.extract import Sentence, clean, extract, sentences_of
from rasa_hybrid.llm.knowledge import Chunk, KnowledgeBase, terms

FIRST = Chunk("a.md", "Guide A", "Part one", "One. Two. Three. Four.")
OTHER = Chunk("b.md", "Guide B", "Part", "Five. Six.")


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def candidates(scores: dict[tuple[Chunk, int], float]) -> list[Sentence]:
    """Sentences whose cosine with the question ``unit(1, 0)`` is the given score."""
    found = []
    for chunk in (FIRST, OTHER):
        for position, text in enumerate(sentences(chunk.text)):
            score = scores.get((chunk, position), 0.0)
            vector = np.array([score, (1 - score**2) ** 0.5], dtype=np.float32)
            found.append(Sentence(chunk, position, text, vector))
    return found


def choose(scores, **options):
    return extract(unit(1, 0), set(), candidates(scores), terms, **options)


def test_the_best_sentences_in_the_passage_order_with_the_one_after_the_best():
    result = choose({(FIRST, 2): 0.9, (FIRST, 0): 0.5, (FIRST, 1): 0.1})
    # The best (Three), the one after it (Four), the next best (One).
    assert result.sentences == ("One.", "Three.", "Four.")
    assert result.text == "One. Three. Four."
    assert result.chunk == FIRST


def test_sentences_come_from_the_best_sentences_document_only():
    result = choose({(OTHER, 0): 0.9, (FIRST, 0): 0.8, (FIRST, 1): 0.8})
    assert result.chunk == OTHER
    assert result.sentences == ("Five.", "Six.")


def test_at_most_the_sentences_asked_for():
    result = choose({(FIRST, 0): 0.9, (FIRST, 3): 0.8}, max_sentences=1)
    assert result.sentences == ("One.",)
    assert choose({}, max_sentences=0) is None
    assert extract(unit(1, 0), set(), [], terms) is None


def test_shared_words_count_so_an_error_code_finds_its_sentence():
    chunk = Chunk(
        "c.md", "Codes", "Codes", "Code E1 means no water. Code E2 means a clog."
    )
    vectors = np.array([unit(1, 0.1), unit(1, 0.12)])
    found = sentences_of([chunk], sentences, vectors)
    result = extract(unit(1, 0), set(terms("what is E2")), found, terms, 1)
    assert result.sentences == ("Code E2 means a clog.",)


def test_the_lowest_scored_sentences_go_first_when_they_would_be_too_long():
    long = Chunk("d.md", "D", "D", f"{'word ' * 30}end. Short one. {'more ' * 30}end.")
    found = sentences_of(
        [long], sentences, np.array([unit(1, 1), unit(1, 0), unit(1, 3)])
    )
    # Best "Short one.", then the first (0.71), then the last (0.32): all three
    # pass 200 characters, so the last goes.
    result = extract(unit(1, 0), set(), found, terms, max_chars=200)
    assert result.sentences == (clean(found[0].text), "Short one.")
    assert len(result.text) <= 200
    # One sentence longer than the limit is cut at a word.
    alone = extract(unit(1, 0), set(), found[2:], terms, max_chars=40)
    assert alone.text.endswith("…") and len(alone.text) <= 41


def test_vectors_must_match_the_sentences():
    with pytest.raises(ValueError, match="4 sentences but 2 vectors"):
        sentences_of([FIRST], sentences, np.zeros((2, 2)))


def test_list_markers_and_line_breaks_are_not_shown():
    assert (
        clean("- Washer code E1\n  means  no water.")
        == "Washer code E1 means no water."
    )
    assert clean("2. Unplug it.") == "Unplug it."


GUIDE = """# Fridge guide

## Fridge filter and cubes
Replace the water filter every 6 months. A new filter can spit air for a minute,
so run 2 litres through it first. Small or hollow ice cubes mean low water
pressure. The ice maker makes a batch every 90 minutes once the freezer is
cold. The fridge light turns off when the door closes. A humming sound from
the back is the compressor and is normal.
"""


def test_with_the_real_encoder_the_answer_is_the_sentences_that_hold_it(tmp_path):
    (tmp_path / "fridge.md").write_text(GUIDE, encoding="utf-8")
    knowledge = KnowledgeBase(tmp_path, None)
    question = "why are my ice cubes coming out small and hollow?"
    chunks = [hit.chunk for hit in knowledge.retrieve(question, 1)]
    result = knowledge.answer_sentences(question, chunks, 2, 500)
    assert "low water pressure" in result.text
    assert "compressor" not in result.text and "light" not in result.text
    assert result.chunk.source == "Fridge guide"
    assert knowledge.answer_sentences(question, chunks, 0, 500) is None
