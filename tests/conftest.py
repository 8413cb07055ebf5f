"""Fixtures shared by every test: the domain, a dispatcher, trackers."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

# Offline and quiet, also when pytest is run by hand rather than by make.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Building an action must not start loading the real model in unit tests;
# tests that want it preloaded in a server say so.
os.environ["LLM_PRELOAD"] = "0"
# No audit log from tests unless a test asks for one.
os.environ.setdefault("LLM_AUDIT_LOG", "off")

# Seconds per test file, written where TEST_PROFILE_OUT says (make test-profile);
# with pytest-xdist, the files sharing a costly session fixture in one worker.
pytest_plugins = ("devtools.pytest_profile", "devtools.pytest_groups")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MONDAY = datetime.date(2026, 11, 30)


class FakeClock:
    """A monotonic clock the test moves by hand (``sleep`` moves it too)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    sleep = advance


def load_yaml(relative: str) -> Any:
    """Reads a YAML file of the project."""
    with open(PROJECT_ROOT / relative, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def user_event(
    text: str, intent: str = "product_question", **entities: Any
) -> dict[str, Any]:
    """A customer's message as a tracker event, with its intent and entities."""
    return {
        "event": "user",
        "text": text,
        "parse_data": {
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": k, "value": v} for k, v in entities.items()],
        },
    }


def acme_domain() -> dict[str, Any]:
    """Acme's domain as Rasa trains on it: domain.yml, the plugin's domain file
    and the exclusions the plugin's importer adds (config.yml)."""
    from rasa_hybrid.cli.check import effective_domain
    from rasa_hybrid.contract import project_contract

    return effective_domain(PROJECT_ROOT, project_contract())


def generated_rules() -> list[dict[str, Any]]:
    """The rules the plugin's importer adds to Acme's training data."""
    from rasa_hybrid.contract import project_contract

    return project_contract().fallback_rules(acme_domain()["forms"])


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The project's domain, as the action server receives it."""
    return acme_domain()


@pytest.fixture(scope="session")
def smollm2_fp32() -> tuple[Any, Any]:
    """The real local model's tokenizer and fp32 model, read once per session."""
    from rasa_hybrid.providers.local_transformers import load_fp32, packaged_gguf

    return load_fp32(packaged_gguf())


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    """Collects what an action utters."""
    return CollectingDispatcher()


@pytest.fixture
def make_tracker() -> Callable[..., Tracker]:
    """Builds a tracker for a conversation at its latest user message."""

    def build(
        text: str = "",
        intent: str = "greet",
        slots: dict[str, Any] | None = None,
        events: list[dict[str, Any]] | None = None,
        sender_id: str = "test-customer",
    ) -> Tracker:
        latest = {
            "text": text,
            "intent": {"name": intent, "confidence": 1.0},
            "entities": [],
        }
        return Tracker(
            sender_id=sender_id,
            slots=slots or {},
            latest_message=latest,
            events=events or [],
            paused=False,
            followup_action=None,
            active_loop={},
            latest_action_name="action_listen",
        )

    return build


# Tests of the Rasa-side plugins need Rasa, which lives in the other
# environment (Python 3.10); `make pytest` runs them there. The adoption test
# needs neither environment (it makes its own) and runs there too: that lane
# of `make test` has the time to spare.
try:
    import rasa.engine  # noqa: F401
except ImportError:
    collect_ignore = ["rasa_server", "adoption"]


@pytest.fixture
def sqlite_store(tmp_path):
    """A seeded store in a temporary SQLite file, as of a fixed Monday."""
    from actions.store.database import Store

    store = Store(url=f"sqlite:///{tmp_path / 'store.db'}", today=lambda: MONDAY)
    yield store
    store.dispose()


@pytest.fixture
def dead_store():
    """A store whose database does not answer (nothing listens on port 9)."""
    from actions.store.database import Store

    return Store(url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
