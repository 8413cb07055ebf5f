"""The company's knowledge: Markdown documents, chunked, embedded, searched.

``data/knowledge/*.md`` is split at its ``##`` headings into passages that
stand on their own. Their MiniLM vectors are computed once and cached on
disk with a fingerprint of the documents, the chunker and the encoder, so
the index is rebuilt only when one of them changes. Chunking and search
are pure functions; ``KnowledgeBase`` does the file and model work.

``python -m actions.llm.knowledge`` builds (or checks) the cache and prints
what it holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from actions.llm.settings import PROJECT_ROOT

logger = logging.getLogger(__name__)

KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"
CACHE_DIR = PROJECT_ROOT / "var" / "knowledge"
#: Bump when chunking changes, so cached indexes are rebuilt.
CHUNKER_VERSION = 1
MAX_CHUNK_WORDS = 160

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_WORDS = re.compile(r"\S+")


class Encoder(Protocol):
    """What the knowledge base needs from a sentence encoder."""

    name: str

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


def search(
    query: np.ndarray, vectors: np.ndarray, chunks: Sequence[Chunk], top_k: int
) -> list[Hit]:
    """The ``top_k`` passages most similar to ``query`` (unit vectors); pure."""
    if not len(chunks) or top_k <= 0:
        return []
    scores = vectors @ query.astype(np.float32)
    order = np.argsort(-scores, kind="stable")[:top_k]
    return [Hit(chunks[i], float(scores[i])) for i in order]


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
    """Every passage and its vector."""

    fingerprint: str
    chunks: tuple[Chunk, ...]
    vectors: np.ndarray

    def save(self, folder: Path) -> None:
        """Writes the index atomically (a reader never sees half of it)."""
        folder.mkdir(parents=True, exist_ok=True)
        payload = {
            "fingerprint": self.fingerprint,
            "chunks": [asdict(chunk) for chunk in self.chunks],
        }
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as f:
            np.savez(f, vectors=self.vectors)
        os.replace(f.name, folder / "vectors.npz")
        with tempfile.NamedTemporaryFile(
            "w", dir=folder, suffix=".json", delete=False, encoding="utf-8"
        ) as f:
            json.dump(payload, f)
        os.replace(f.name, folder / "index.json")

    @classmethod
    def load(cls, folder: Path) -> KnowledgeIndex | None:
        """The cached index, or None when there is none or it is unreadable."""
        try:
            payload = json.loads((folder / "index.json").read_text(encoding="utf-8"))
            with np.load(folder / "vectors.npz") as data:
                vectors = data["vectors"].astype(np.float32)
            chunks = tuple(Chunk(**item) for item in payload["chunks"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if vectors.shape[0] != len(chunks):
            return None
        return cls(str(payload.get("fingerprint", "")), chunks, vectors)


class KnowledgeBase:
    """The documents' index, built or loaded on first use, and searched."""

    def __init__(
        self,
        folder: Path = KNOWLEDGE_DIR,
        cache: Path | None = CACHE_DIR,
        encoder: Encoder | None = None,
    ) -> None:
        self.folder = folder
        self.cache = cache
        if encoder is None:
            from actions.llm.embeddings import SentenceEncoder

            encoder = SentenceEncoder()
        self.encoder = encoder
        self._index: KnowledgeIndex | None = None
        self._lock = threading.Lock()

    def index(self) -> KnowledgeIndex:
        """The current index: from the cache if it matches the documents."""
        with self._lock:
            if self._index is None:
                self._index = self._build_or_load()
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
        index = KnowledgeIndex(wanted, chunks, vectors.astype(np.float32))
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

    def retrieve(self, text: str, top_k: int) -> list[Hit]:
        """The passages most similar to ``text``, best first."""
        index = self.index()
        query = self.encoder.encode([text])[0]
        return search(query, index.vectors, index.chunks, top_k)

    def texts(self) -> list[str]:
        """Every passage's text (for allow-lists of what answers may contain)."""
        return [chunk.text for chunk in self.index().chunks]


def main() -> None:
    """Builds the cached index if needed and prints its size."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    index = KnowledgeBase().index()
    documents = len({chunk.doc for chunk in index.chunks})
    print(f"knowledge index: {len(index.chunks)} passages from {documents} documents")


if __name__ == "__main__":
    main()
