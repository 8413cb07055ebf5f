"""Integration tests run the real servers, as `make serve` and `make run` start them."""

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from devtools.servers import PROJECT_ROOT, Servers


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def servers():
    """The ordinary assistant, as `make serve` starts it, once per test session.

    Every test that needs nothing else shares it, each in conversations of its
    own (``customer``); tests that need another configuration start their own.
    """
    with Servers() as running:
        yield running


class Customer:
    """One conversation over the REST channel."""

    def __init__(self, url: str, sender: str) -> None:
        self.url = url
        self.sender = sender

    def post(self, **body) -> requests.Response:
        return requests.post(self.url, json={"sender": self.sender, **body}, timeout=60)

    def say(self, text: str) -> list:
        """Sends a message; returns the texts of the replies."""
        response = self.post(message=text)
        assert response.status_code == 200, response.text
        return [reply.get("text") for reply in response.json()]


@pytest.fixture
def customer(servers, request):
    """A new conversation on the shared servers, its id unique to this run."""
    return Customer(
        servers.rest_url, sender=f"it-{request.node.name}-{uuid.uuid4().hex[:8]}"
    )


def run_bench(
    module: str, out: Path, *args: str
) -> tuple[dict, subprocess.CompletedProcess]:
    """Runs ``python -m MODULE --out OUT ARGS``; its figures and result."""
    result = subprocess.run(
        [sys.executable, "-m", module, "--out", str(out), *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(out.read_text()), result
