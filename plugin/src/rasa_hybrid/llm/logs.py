"""Logging in the action server's worker process."""

from __future__ import annotations

import logging
import os

FORMAT = "%(asctime)s %(levelname)-8s %(name)s  - %(message)s"


def log_to_stderr_if_unconfigured() -> None:
    """Gives a process without logging set up the action server's format.

    rasa-sdk configures logging in its primary process only; the Sanic worker
    it spawns to serve requests starts with none, and would drop every INFO
    line (model loading, LLM turn timings). ``LOG_LEVEL`` overrides INFO.
    """
    root = logging.getLogger()
    if root.handlers:
        return
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    known = isinstance(logging.getLevelName(level), int)
    logging.basicConfig(level=level if known else "INFO", format=FORMAT)
