"""Fixtures for the LLM plugin's tests: settings and a responder on the fake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.llm.providers.fake import FakeProvider
from actions.llm.responder import Responder
from actions.llm.settings import LLMSettings


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_responder() -> Callable[..., Responder]:
    """A responder on a fake scripted with ``replies``; settings overridable."""

    def build(replies=(), clock=None, **settings) -> Responder:
        kwargs = {"clock": clock} if clock else {}
        return Responder(
            LLMSettings(provider="fake", **settings), FakeProvider(replies), **kwargs
        )

    return build
