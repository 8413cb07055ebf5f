"""Fixtures for the LLM plugin's tests: settings and a responder on the fake."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from rasa_hybrid.llm.knowledge import KnowledgeBase
from rasa_hybrid.llm.responder import Responder
from rasa_hybrid.llm.settings import LLMSettings
from rasa_hybrid.providers.fake import FakeProvider

from tests.conftest import PROJECT_ROOT, FakeClock

#: Acme's settings (its rasa-hybrid.yml), whatever the environment says.
ACME = LLMSettings.from_env({}, project=PROJECT_ROOT)
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
            replace(ACME, provider="fake", **settings),
            FakeProvider(replies),
            knowledge=test_knowledge,
            audit=audit,
            **kwargs,
        )

    return build
