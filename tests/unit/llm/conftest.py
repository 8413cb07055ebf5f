"""Fixtures for the LLM plugin's tests: settings and a responder on the fake."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from actions.llm.knowledge import KnowledgeBase
from actions.llm.providers.fake import FakeProvider
from actions.llm.responder import Responder
from actions.llm.settings import PROJECT_ROOT, LLMSettings
from tests.conftest import FakeClock

#: A small knowledge base the scripted replies below are grounded in.
TEST_KNOWLEDGE = PROJECT_ROOT / "tests" / "data" / "knowledge"


@pytest.fixture(scope="session")
def test_knowledge() -> KnowledgeBase:
    """The test documents, indexed once per session with the real encoder."""
    return KnowledgeBase(TEST_KNOWLEDGE, cache=None)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_responder(test_knowledge) -> Callable[..., Responder]:
    """A responder on a fake scripted with ``replies``, over the test documents."""

    def build(replies=(), clock=None, audit=None, **settings) -> Responder:
        kwargs = {"clock": clock} if clock else {}
        settings.setdefault("audit_log", None)
        return Responder(
            LLMSettings(provider="fake", **settings),
            FakeProvider(replies),
            knowledge=test_knowledge,
            audit=audit,
            **kwargs,
        )

    return build
