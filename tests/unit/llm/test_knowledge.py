import numpy as np
import pytest
from rasa_hybrid.llm.knowledge import (
    Chunk,
    Hit,
    KeywordScorer,
    KnowledgeBase,
    KnowledgeIndex,
    chunk_markdown,
    fingerprint,
    search,
    usable_passages,
)

from tests.conftest import PROJECT_ROOT

DOC = """# Returns and refunds

Intro line before any section.

## Return window
Unused items can be returned within 30 days.

## Refund timing
Refunds take 10 business days.
"""


class CountingEncoder:
    """Bag of letters: deterministic, and counts how often it is asked."""

    name = "counting"

    def __init__(self):
        self.texts = 0

    def encode(self, texts):
        self.texts += len(texts)
        vectors = np.zeros((len(texts), 26), dtype=np.float32)
        for row, text in enumerate(texts):
            for char in text.lower():
                if "a" <= char <= "z":
                    vectors[row, ord(char) - 97] += 1
        return vectors / np.maximum(
            np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9
        )


def test_sections_become_passages_with_title_and_heading():
    chunks = chunk_markdown("returns.md", DOC)
    assert [(c.title, c.heading) for c in chunks] == [
        ("Returns and refunds", "Returns and refunds"),
        ("Returns and refunds", "Return window"),
        ("Returns and refunds", "Refund timing"),
    ]
    assert chunks[1].text == "Unused items can be returned within 30 days."
    assert chunks[1].embedding_text().startswith("Returns and refunds. Return window.")


def test_long_sections_are_split_between_paragraphs():
    body = "\n\n".join(f"Paragraph {i} " + "word " * 60 for i in range(4))
    chunks = chunk_markdown("long.md", f"# Long\n\n## Part\n{body}", max_words=130)
    assert len(chunks) == 2
    assert all(len(c.text.split()) <= 130 for c in chunks)


def test_search_ranks_by_cosine():
    chunks = [Chunk("a.md", "A", "A", "a"), Chunk("b.md", "B", "B", "b")]
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    hits = search(np.array([0.0, 1.0]), vectors, chunks, 2)
    assert [h.chunk.doc for h in hits] == ["b.md", "a.md"]
    assert hits[0].score == pytest.approx(0.8)
    assert search(np.array([0.0, 1.0]), vectors, chunks, 0) == []


def test_the_index_is_cached_and_rebuilt_only_when_documents_change(tmp_path):
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    docs.mkdir()
    (docs / "returns.md").write_text(DOC)
    encoder = CountingEncoder()
    first = KnowledgeBase(docs, cache, encoder).index()
    built = encoder.texts
    again = KnowledgeBase(docs, cache, encoder).index()
    assert encoder.texts == built  # loaded from disk, nothing encoded
    assert again.fingerprint == first.fingerprint
    assert np.array_equal(again.vectors, first.vectors)
    (docs / "returns.md").write_text(DOC + "\n## New section\nSomething new.\n")
    changed = KnowledgeBase(docs, cache, encoder).index()
    assert encoder.texts > built and len(changed.chunks) == 4


def test_a_damaged_cache_is_rebuilt(tmp_path):
    docs, cache = tmp_path / "docs", tmp_path / "cache"
    docs.mkdir()
    (docs / "returns.md").write_text(DOC)
    KnowledgeBase(docs, cache, CountingEncoder()).index()
    (cache / "vectors.npz").write_bytes(b"garbage")
    assert KnowledgeIndex.load(cache) is None
    assert len(KnowledgeBase(docs, cache, CountingEncoder()).index().chunks) == 3


def test_fingerprint_depends_on_documents_and_encoder():
    docs = [("a.md", "text")]
    assert fingerprint(docs, "x") == fingerprint(docs, "x")
    assert fingerprint(docs, "x") != fingerprint(docs, "y")
    assert fingerprint(docs, "x") != fingerprint([("a.md", "text!")], "x")


def test_the_company_knowledge_base_has_what_the_issue_asks():
    folder = PROJECT_ROOT / "data" / "knowledge"
    documents = sorted(folder.glob("*.md"))
    assert len(documents) >= 25
    names = " ".join(path.stem for path in documents)
    for topic in ("returns", "warranty", "delivery", "installation", "payment",
                  "hours", "appointments", "washer", "dryer", "dishwasher",
                  "refrigerator", "oven"):  # fmt: skip
        assert topic in names, topic
    for path in documents:
        assert path.read_text().startswith("# "), path.name


def test_real_retrieval_finds_the_right_document(test_knowledge):
    (hit,) = test_knowledge.retrieve(
        "how many days do I have to send something back", 1
    )
    assert hit.chunk.doc == "returns.md" and hit.score > 0.35


def test_keywords_break_ties_the_embedding_cannot():
    chunks = [
        Chunk("e1.md", "Codes", "E1", "Code E1 means the door is open."),
        Chunk("e4.md", "Codes", "E4", "Code E4 means the drain is blocked."),
    ]
    vectors = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    keywords = KeywordScorer(chunks).scores("what does E4 mean")
    hits = search(np.array([1.0, 0.0]), vectors, chunks, 2, keywords)
    assert [h.chunk.doc for h in hits] == ["e4.md", "e1.md"]
    assert hits[0].score == pytest.approx(1.0)  # the cosine, for the threshold


def test_a_passage_scores_the_best_of_itself_and_its_sentences():
    chunks = [Chunk("a.md", "A", "A", "a"), Chunk("b.md", "B", "B", "b")]
    vectors = np.array([[1.0, 0.0], [0.6, 0.8]], dtype=np.float32)
    # Passage a has a sentence right on the query; b's sentences are further off.
    sentences = np.array([[0.0, 1.0], [1.0, 0.0], [0.8, 0.6]], dtype=np.float32)
    owner = np.array([0, 0, 1])
    hits = search(np.array([0.0, 1.0]), vectors, chunks, 2, None, 0.8, sentences, owner)
    assert [h.chunk.doc for h in hits] == ["a.md", "b.md"]
    assert [h.score for h in hits] == pytest.approx([1.0, 0.8])


def test_the_index_holds_each_passage_sentence(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "returns.md").write_text(
        DOC + "\n## Exchanges\nSwap within 30 days. Bring the receipt.\n"
    )
    index = KnowledgeBase(docs, tmp_path / "cache", CountingEncoder()).index()
    assert len(index.sentence_owner) == len(index.sentence_vectors) == 5
    assert index.sentence_owner.tolist() == [0, 1, 2, 3, 3]
    loaded = KnowledgeIndex.load(tmp_path / "cache")
    assert np.array_equal(loaded.sentence_vectors, index.sentence_vectors)
    assert np.array_equal(loaded.sentence_owner, index.sentence_owner)


def test_usable_passages_reach_the_threshold_and_stay_near_the_best():
    chunk = Chunk("a.md", "A", "A", "a")
    hits = [Hit(chunk, 0.6), Hit(chunk, 0.52), Hit(chunk, 0.45), Hit(chunk, 0.3)]
    assert [h.score for h in usable_passages(hits, 0.35)] == [0.6, 0.52]
    assert usable_passages(hits, 0.7) == [] and usable_passages([], 0.35) == []


def test_passage_sentences_are_encoded_once_and_returned_in_order(tmp_path):
    encoder = CountingEncoder()
    base = KnowledgeBase(tmp_path / "docs", None, encoder)
    swap = Chunk("r", "Returns", "Exchanges", "Swap within 30 days. Bring the receipt.")
    refund = Chunk("r", "Returns", "Refunds", "Refunds take 10 business days.")
    first = base.passage_sentence_vectors([swap, refund])
    assert encoder.texts == 3
    expected = CountingEncoder().encode(
        ["Swap within 30 days.", "Bring the receipt.", "Refunds take 10 business days."]
    )
    assert np.allclose(first, expected)
    again = base.passage_sentence_vectors([refund, swap])
    assert encoder.texts == 3  # nothing encoded twice
    assert np.allclose(again, expected[[2, 0, 1]])
    assert base.passage_sentence_vectors([]).shape[0] == 0
