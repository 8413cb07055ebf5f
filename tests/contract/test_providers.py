"""The contract every LLM provider keeps, checked on each implementation.

The fake runs its script, the OpenAI-compatible provider talks HTTP to a
local stub server speaking the real protocol, and the local provider runs
the real SmolLM2 model (loaded once for the whole test session).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rasa_hybrid.providers.base import (
    Completion,
    LLMProvider,
    ProviderError,
    ProviderTimeout,
)
from rasa_hybrid.providers.fake import FakeProvider
from rasa_hybrid.providers.local_transformers import LocalTransformersProvider
from rasa_hybrid.providers.local_transformers import _worker as local_worker
from rasa_hybrid.providers.openai_compatible import OpenAICompatibleProvider

from devtools.openai_stub import OpenAIStub

MESSAGES = [
    {"role": "system", "content": "You are a helpful appliance store assistant."},
    {"role": "user", "content": "How do I clean a dishwasher filter?"},
]
LONG = [MESSAGES[0], {"role": "user", "content": "filter " * 1500 + "clean?"}]
REPLY = "Twist the filter out, rinse it under warm water and put it back."


@pytest.fixture(scope="session")
def local_provider(smollm2_fp32) -> LocalTransformersProvider:
    provider = LocalTransformersProvider(loader=lambda gguf, threads: smollm2_fp32)
    asyncio.run(provider.ready(timeout=300))
    return provider


@pytest.fixture(scope="session")
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture(params=["fake", "openai", "local"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def make(kind, stub, request) -> Callable[..., LLMProvider]:
    """make(slow=False): a provider of this kind, answering REPLY if scripted."""
    stub.replies.clear()
    stub.delay_s = 0.0
    stub.fail_status = None

    def build(slow: bool = False) -> LLMProvider:
        if kind == "fake":
            return FakeProvider([{"text": REPLY, "delay_s": 3 if slow else 0}])
        if kind == "openai":
            stub.replies.append(REPLY)
            stub.delay_s = 3 if slow else 0
            return OpenAICompatibleProvider(stub.base_url, "smollm2")
        return request.getfixturevalue("local_provider")

    return build


def complete(provider, max_new_tokens=32, timeout=30.0) -> Completion:
    async def call():
        await provider.ready(timeout)
        return await provider.complete(MESSAGES, max_new_tokens, timeout)

    return asyncio.run(call())


def test_completes_a_conversation_with_text_and_token_counts(make):
    completion = complete(make())
    assert isinstance(completion.text, str) and completion.text.strip()
    assert completion.prompt_tokens > 0
    assert 0 < completion.completion_tokens <= 32


def test_respects_the_new_token_limit(make):
    completion = complete(make(), max_new_tokens=4)
    assert 0 < completion.completion_tokens <= 4


def test_counts_tokens_consistently(make):
    provider = make()
    asyncio.run(provider.ready(30))
    assert provider.count_tokens("") == 0
    short = provider.count_tokens("washer")
    long = provider.count_tokens("washer " * 50)
    assert 0 < short < long
    contents = sum(provider.count_tokens(m["content"]) for m in MESSAGES)
    assert provider.prompt_tokens(MESSAGES) >= contents
    assert provider.context_window >= 1024


def test_gives_up_at_the_timeout_without_blocking_the_loop(make, kind):
    provider = make(slow=True)
    asyncio.run(provider.ready(60))

    async def scenario():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ProviderTimeout):
            await provider.complete(MESSAGES, 64, timeout=0.3)
        elapsed = loop.time() - started
        task.cancel()
        return ticks, elapsed

    ticks, elapsed = asyncio.run(scenario())
    assert elapsed < 2.5
    assert ticks >= 5


def test_a_local_job_given_up_on_leaves_no_error_unseen(local_provider):
    """The turn gives up while the model still reads a long prompt."""

    async def scenario():
        loop = asyncio.get_running_loop()
        lost: list[str] = []  # what asyncio reports as never seen
        loop.set_exception_handler(lambda _, context: lost.append(context["message"]))
        timed_out = False
        try:
            await local_provider.complete(LONG, 8, 0.2)
        except ProviderTimeout:  # not kept: its frames would keep the job alive
            timed_out = True
        # One job at a time: this one runs once the job given up on has ended.
        await asyncio.wrap_future(local_worker().submit(lambda: None))
        await asyncio.sleep(0.1)
        gc.collect()
        await asyncio.sleep(0.1)
        return timed_out, lost

    timed_out, lost = asyncio.run(scenario())
    assert timed_out
    assert lost == []


def test_errors_are_provider_errors(kind, stub):
    if kind == "fake":
        provider = FakeProvider([{"error": "model crashed"}])
    elif kind == "openai":
        stub.fail_status = 500
        provider = OpenAICompatibleProvider(stub.base_url, "smollm2")
    else:
        provider = LocalTransformersProvider(gguf=Path("/nonexistent/model.gguf"))
    with pytest.raises(ProviderError):
        complete(provider)
    stub.fail_status = None
