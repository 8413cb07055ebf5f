"""Sentence embeddings with all-MiniLM-L6-v2 (``rasa_hybrid.encoders.location``).

It loads once per process, on first use, and is shared;
a lock serialises calls so two threads never run it at once. The weights run
in ONNX Runtime on one thread (``rasa_hybrid.encoders.bert_onnx``): the same vectors as
transformers' torch ``BertModel``, at a third of its CPU time per call.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rasa_hybrid.encoders.bert_onnx import OnnxBert, mean_pool
from rasa_hybrid.encoders.location import PACKAGE as MODEL_PACKAGE
from rasa_hybrid.encoders.location import encoder_folder
from rasa_hybrid.llm.imports import TRANSFORMERS_IMPORT

DIMENSIONS = 384
MAX_TOKENS = 256


@functools.cache
def _load(folder: str) -> tuple[Any, OnnxBert, threading.Lock]:
    with TRANSFORMERS_IMPORT:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(folder)
    # One thread: a call takes a few milliseconds, and the server has other
    # turns to run on the other core.
    return tokenizer, OnnxBert(Path(folder), threads=1), threading.Lock()


class SentenceEncoder:
    """Unit-length sentence vectors: mean of the token states, normalised."""

    def __init__(self, folder: Path | None = None, batch_size: int = 32) -> None:
        self._folder = folder
        self.batch_size = batch_size

    @property
    def folder(self) -> Path:
        """Where the model files are."""
        if self._folder is None:
            self._folder = encoder_folder()
        return self._folder

    @property
    def name(self) -> str:
        """An identifier of the model, for caches built from its vectors."""
        return f"{MODEL_PACKAGE}:{DIMENSIONS}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit vector per text, shape ``(len(texts), 384)``, float32."""
        if not texts:
            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        tokenizer, model, lock = _load(str(self.folder))
        parts = []
        with lock:
            for start in range(0, len(texts), self.batch_size):
                batch = tokenizer(
                    [text or " " for text in texts[start : start + self.batch_size]],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_tensors="np",
                )
                mask = batch["attention_mask"]
                states = model.hidden_states(batch["input_ids"], mask)
                parts.append(mean_pool(states, mask))
        return np.concatenate(parts)
