"""The company's knowledge: Markdown documents, chunked, embedded, searched.

``data/knowledge/*.md`` is split at its ``##`` headings into passages that
stand on their own. Their MiniLM vectors are computed once and cached on
disk with a fingerprint of the documents, the chunker and the encoder, so
the index is rebuilt only when one of them changes. Each passage's sentences are
embedded too: a short question ("do you take amex?") matches the one sentence
that answers it better than the whole passage around it, so a passage scores
the best of its own cosine and its sentences'. Chunking and search are pure
functions; ``KnowledgeBase`` does the file and model work.

``python -m rasa_hybrid.llm.knowledge`` builds (or checks) the cache and prints
what it holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from rasa_hybrid.guards.output import sentences
from rasa_hybrid.llm.extract import Extract, extract, sentences_of

logger = logging.getLogger(__name__)

#: Bump when chunking changes, so cached indexes are rebuilt.
CHUNKER_VERSION = 3
MAX_CHUNK_WORDS = 160
#: Ranking mixes the embedding's cosine with keyword overlap (BM25, scaled to
#: the best cosine): exact words such as error codes ("E4", "OF") matter.
SEMANTIC_WEIGHT = 0.8
_TERM = re.compile(r"[a-z0-9]+")
_STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "if",
        "in",
        "is",
        "it",
        "my",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "this",
        "to",
        "we",
        "what",
        "when",
        "with",
        "you",
        "your",
    ]
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WORDS = re.compile(r"\S+")


class Encoder(Protocol):
    """What the knowledge base needs from a sentence encoder."""

    @property
    def name(self) -> str:
        """Names the encoder in the index's fingerprint."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors, one row per text."""


@dataclass(frozen=True)
class Chunk:
    """One passage: a section of a document (or part of a long section)."""

    doc: str
    title: str
    heading: str
    text: str

    @property
    def source(self) -> str:
        """How the reply names it: the document's title."""
        return self.title

    def embedding_text(self) -> str:
        """What the encoder sees: title and heading give the passage its topic."""
        return f"{self.title}. {self.heading}. {self.text}"

    def sentence_texts(self) -> list[str]:
        """Each sentence as the encoder sees it, with the passage's topic."""
        return [f"{self.title}. {self.heading}. {s}" for s in sentences(self.text)]


@dataclass(frozen=True)
class Hit:
    """A passage found for a query, with its cosine similarity."""

    chunk: Chunk
    score: float


def _split_long(text: str, max_words: int) -> list[str]:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    parts: list[str] = []
    current: list[str] = []
    for paragraph in paragraphs:
        words = len(_WORDS.findall(paragraph))
        if current and len(_WORDS.findall(" ".join(current))) + words > max_words:
            parts.append("\n\n".join(current))
            current = []
        current.append(paragraph)
    if current:
        parts.append("\n\n".join(current))
    return parts


def chunk_markdown(
    doc: str, text: str, max_words: int = MAX_CHUNK_WORDS
) -> list[Chunk]:
    """The passages of one Markdown document; pure.

    The first ``#`` heading is the title; every ``##`` (or deeper) heading
    starts a passage. Text before the first section is a passage of its own.
    Sections longer than ``max_words`` are split between paragraphs.
    """
    title = Path(doc).stem.replace("-", " ").capitalize()
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match and len(match.group(1)) == 1 and _title_unset(sections):
            title = match.group(2)
            continue
        if match:
            sections.append((match.group(2), []))
            continue
        sections[-1][1].append(line)
    chunks = []
    for heading, lines in sections:
        body = "\n".join(lines).strip()
        if not body:
            continue
        for part in _split_long(body, max_words):
            chunks.append(Chunk(doc, title, heading or title, part))
    return chunks


def _title_unset(sections: list[tuple[str, list[str]]]) -> bool:
    """True while only the preamble has been read (the title is the first heading)."""
    return len(sections) == 1 and not any(line.strip() for line in sections[0][1])


def terms(text: str) -> list[str]:
    """Lower-case words and numbers of ``text`` without stop words."""
    return [t for t in _TERM.findall(text.lower()) if t not in _STOP_WORDS]


class KeywordScorer:
    """BM25 over the passages' words; pure once built."""

    def __init__(self, chunks: Sequence[Chunk], k1: float = 1.2, b: float = 0.75):
        self._docs = [Counter(terms(chunk.embedding_text())) for chunk in chunks]
        self._lengths = np.array([sum(d.values()) for d in self._docs], dtype=float)
        self._average = float(self._lengths.mean()) if len(self._docs) else 1.0
        frequency = Counter(term for doc in self._docs for term in doc)
        count = len(self._docs)
        self._idf = {
            term: math.log(1 + (count - n + 0.5) / (n + 0.5))
            for term, n in frequency.items()
        }
        self._k1, self._b = k1, b

    def scores(self, text: str) -> np.ndarray:
        """One BM25 score per passage for the words of ``text``."""
        result = np.zeros(len(self._docs))
        norm = self._k1 * (1 - self._b + self._b * self._lengths / self._average)
        for term in set(terms(text)):
            idf = self._idf.get(term)
            if idf is None:
                continue
            tf = np.array([doc.get(term, 0) for doc in self._docs], dtype=float)
            result += idf * tf * (self._k1 + 1) / (tf + norm)
        return result


def search(
    query: np.ndarray,
    vectors: np.ndarray,
    chunks: Sequence[Chunk],
    top_k: int,
    keyword_scores: np.ndarray | None = None,
    semantic_weight: float = SEMANTIC_WEIGHT,
    sentence_vectors: np.ndarray | None = None,
    sentence_owner: np.ndarray | None = None,
) -> list[Hit]:
    """The ``top_k`` best passages for ``query`` (unit vectors); pure.

    A passage's cosine is the best of its own and its sentences' (row ``i`` of
    ``sentence_vectors`` belongs to passage ``sentence_owner[i]``). Ranked by
    that cosine mixed with keyword scores when given; each hit's ``score`` is
    the cosine, which the abstention threshold applies to.
    """
    if not len(chunks) or top_k <= 0:
        return []
    cosine = vectors @ query.astype(np.float32)
    if sentence_vectors is not None and sentence_owner is not None:
        np.maximum.at(
            cosine, sentence_owner, sentence_vectors @ query.astype(np.float32)
        )
    rank = cosine.astype(float)
    if keyword_scores is not None and keyword_scores.max() > 0:
        keywords = keyword_scores / keyword_scores.max() * max(float(cosine.max()), 0)
        rank = semantic_weight * rank + (1 - semantic_weight) * keywords
    order = np.argsort(-rank, kind="stable")[:top_k]
    return [Hit(chunks[i], float(cosine[i])) for i in order]


def usable_passages(hits: Sequence[Hit], min_score: float) -> list[Hit]:
    """The hits an answer may use: at least ``min_score``, near the best; pure."""
    best = hits[0].score if hits else -1.0
    return [h for h in hits if h.score >= min_score and h.score >= best - 0.1]


def read_documents(folder: Path) -> list[tuple[str, str]]:
    """(file name, text) of every Markdown document in ``folder``, sorted."""
    return [
        (path.name, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.md"))
    ]


def fingerprint(documents: Sequence[tuple[str, str]], encoder_name: str) -> str:
    """Changes whenever a document, the chunker or the encoder changes."""
    digest = hashlib.sha256(f"{CHUNKER_VERSION}|{encoder_name}|".encode())
    for name, text in documents:
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()


@dataclass(frozen=True)
class KnowledgeIndex:
    """Every passage and its vector, and every passage sentence's."""

    fingerprint: str
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_owner: np.ndarray

    def save(self, folder: Path) -> None:
        """Writes the index atomically (a reader never sees half of it)."""
        folder.mkdir(parents=True, exist_ok=True)
        payload = {
            "fingerprint": self.fingerprint,
            "chunks": [asdict(chunk) for chunk in self.chunks],
        }
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as f:
            np.savez(
                f,
                vectors=self.vectors,
                sentence_vectors=self.sentence_vectors,
                sentence_owner=self.sentence_owner,
            )
        os.replace(f.name, folder / "vectors.npz")
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, suffix=".json", delete=False, encoding="utf-8"
        ) as text:
            json.dump(payload, text)
        os.replace(text.name, folder / "index.json")

    @classmethod
    def load(cls, folder: Path) -> KnowledgeIndex | None:
        """The cached index, or None when there is none or it is unreadable."""
        try:
            payload = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            with np.load(folder / "vectors.npz") as data:
                vectors = data["vectors"].astype(np.float32)
                sentence_vectors = data["sentence_vectors"].astype(np.float32)
                owner = data["sentence_owner"].astype(np.int64)
            chunks = tuple(Chunk(**item) for item in payload["chunks"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if vectors.shape[0] != len(chunks) or sentence_vectors.shape[0] != len(owner):
            return None
        if len(owner) and (owner.min() < 0 or owner.max() >= len(chunks)):
            return None
        return cls(
            str(payload.get("fingerprint", "")),
            chunks,
            vectors,
            sentence_vectors,
            owner,
        )


class KnowledgeBase:
    """The documents' index, built or loaded on first use, and searched."""

    def __init__(
        self,
        folder: Path,
        cache: Path | None,
        encoder: Encoder | None = None,
    ) -> None:
        self.folder = folder
        self.cache = cache
        if encoder is None:
            from rasa_hybrid.llm.embeddings import SentenceEncoder

            encoder = SentenceEncoder()
        self.encoder: Encoder = encoder
        self._index: KnowledgeIndex | None = None
        self._keywords: KeywordScorer | None = None
        self._lock = threading.Lock()
        # Plain sentence vectors of the passages answers were checked against.
        self._passage_sentences: dict[Chunk, np.ndarray] = {}

    def index(self) -> KnowledgeIndex:
        """The current index: from the cache if it matches the documents."""
        with self._lock:
            if self._index is None:
                self._index = self._build_or_load()
                self._keywords = KeywordScorer(self._index.chunks)
            return self._index

    def _build_or_load(self) -> KnowledgeIndex:
        documents = read_documents(self.folder)
        wanted = fingerprint(documents, self.encoder.name)
        if self.cache is not None:
            cached = KnowledgeIndex.load(self.cache)
            if cached is not None and cached.fingerprint == wanted:
                logger.info("Knowledge index: %d passages (cached)", len(cached.chunks))
                return cached
        started = time.monotonic()
        chunks = tuple(
            chunk for name, text in documents for chunk in chunk_markdown(name, text)
        )
        vectors = self.encoder.encode([chunk.embedding_text() for chunk in chunks])
        owner, texts = [], []
        for number, chunk in enumerate(chunks):
            for text in chunk.sentence_texts():
                owner.append(number)
                texts.append(text)
        sentence_vectors = self.encoder.encode(texts) if texts else vectors[:0]
        index = KnowledgeIndex(
            wanted,
            chunks,
            vectors.astype(np.float32),
            np.asarray(sentence_vectors, dtype=np.float32),
            np.array(owner, dtype=np.int64),
        )
        if self.cache is not None:
            try:
                index.save(self.cache)
            except OSError as error:  # a read-only folder: work from memory
                logger.warning("Could not cache the knowledge index: %s", error)
        logger.info(
            "Knowledge index: %d passages from %d documents built in %.1f s",
            len(chunks),
            len(documents),
            time.monotonic() - started,
        )
        return index

    def is_empty(self) -> bool:
        """Whether there is no passage at all (a project without knowledge).

        From the index, read once: no look at the folder on every turn.
        """
        return not self.index().chunks

    def retrieve(self, text: str, top_k: int) -> list[Hit]:
        """The passages most similar to ``text``, best first."""
        index = self.index()
        query = self.encoder.encode([text])[0]
        keywords = self.keyword_scores(text)
        return search(
            query,
            index.vectors,
            index.chunks,
            top_k,
            keywords,
            sentence_vectors=index.sentence_vectors,
            sentence_owner=index.sentence_owner,
        )

    # Passages come from the documents, so this bounds nothing in practice; it
    # only keeps a caller that passes made-up chunks from growing it forever.
    MAX_CACHED_PASSAGES = 4096

    def passage_sentence_vectors(self, chunks: Sequence[Chunk]) -> np.ndarray:
        """Unit vectors of the sentences of ``chunks``, in order, one row each.

        The groundedness check compares every answer with them; a passage's
        sentences are encoded once per process, not once per turn.
        """
        with self._lock:
            known = {
                chunk: self._passage_sentences[chunk]
                for chunk in chunks
                if chunk in self._passage_sentences
            }
        missing = [chunk for chunk in dict.fromkeys(chunks) if chunk not in known]
        if missing:
            groups = [sentences(chunk.text) for chunk in missing]
            flat = self.encoder.encode([text for group in groups for text in group])
            start = 0
            for chunk, group in zip(missing, groups, strict=True):
                known[chunk] = np.asarray(flat[start : start + len(group)], np.float32)
                start += len(group)
            with self._lock:
                if len(self._passage_sentences) > self.MAX_CACHED_PASSAGES:
                    self._passage_sentences.clear()
                self._passage_sentences.update((c, known[c]) for c in missing)
        rows = [known[chunk] for chunk in chunks]
        return np.concatenate(rows) if rows else np.zeros((0, 0), np.float32)

    def answer_sentences(
        self,
        question: str,
        chunks: Sequence[Chunk],
        max_sentences: int,
        max_chars: int,
    ) -> Extract | None:
        """The sentences of ``chunks`` that answer ``question`` (``extract``).

        None when ``max_sentences`` is 0 or there is no passage.
        """
        if max_sentences <= 0 or not chunks:
            return None
        candidates = sentences_of(
            chunks, sentences, self.passage_sentence_vectors(chunks)
        )
        return extract(
            self.encoder.encode([question])[0],
            set(terms(question)),
            candidates,
            terms,
            max_sentences=max_sentences,
            max_chars=max_chars,
        )

    def keyword_scores(self, text: str) -> np.ndarray:
        """One BM25 score per passage for the words of ``text``."""
        self.index()
        assert self._keywords is not None
        return self._keywords.scores(text)

    def texts(self) -> list[str]:
        """Every passage's text (for allow-lists of what answers may contain)."""
        return [chunk.text for chunk in self.index().chunks]


def main() -> None:
    """Builds the cached index if needed and prints its size."""
    from rasa_hybrid.llm.settings import LLMSettings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = LLMSettings.from_env()
    index = KnowledgeBase(settings.knowledge_dir, settings.knowledge_cache).index()
    documents = len({chunk.doc for chunk in index.chunks})
    print(f"knowledge index: {len(index.chunks)} passages from {documents} documents")


if __name__ == "__main__":
    main()
