"""End-to-end tests: the web chat in headless Chromium against the real servers.

The browser is Debian's Chromium (``/usr/bin/chromium``, or ``CHROMIUM``),
driven by Playwright's Python package; Playwright never downloads a browser
here. Without Chromium or Playwright the tests are skipped, unless
``REQUIRE_BROWSER`` is set (as in CI), when they fail.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.servers import Servers
from tests.conftest import PROJECT_ROOT

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LLM_REPLIES = PROJECT_ROOT / "tests/e2e/llm_replies.yml"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def _unavailable(reason: str) -> None:
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (REQUIRE_BROWSER is set)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of the Chromium executable, or a skip (a failure in CI)."""
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        path = shutil.which("chromium") or ""
    if not path:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("Playwright is not installed (requirements/dev.txt)")
    return path


@pytest.fixture(scope="module")
def playwright_driver(chromium):
    """Playwright's driver for one module: its event loop ends with the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def servers(chromium) -> Iterator[Servers]:
    """The real servers, with the fake LLM scripted by tests/e2e/llm_replies.yml."""
    # python-engineio leaves a ping task behind for each socket a closing
    # browser drops; asyncio reports them as it collects them.
    dropped = (r"asyncio\s+- Task was destroyed but it is pending!",)
    with Servers(
        env={"LLM_FAKE_REPLIES": str(LLM_REPLIES)}, expected_errors=dropped
    ) as running:
        yield running


@pytest.fixture
def browser(playwright_driver, chromium, tmp_path: Path):
    """A browser with a fresh profile (its own localStorage) for one test."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 900, "height": 760},
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()
