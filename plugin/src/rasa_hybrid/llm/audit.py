"""The audit log: one JSON line per open-ended turn, appended.

It records what an operator needs to prove what did and did not reach the
model: the conversation, the route, the redacted prompt exactly as sent,
the retrieved sources, every guard's verdict, latency and token counts.
Customer text appears in it only after redaction.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


class AuditLog:
    """Appends records to a JSON-lines file; ``path=None`` turns it off."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        """Whether records are written at all."""
        return self.path is not None

    def append(self, record: Mapping[str, Any]) -> None:
        """Writes one record as one line; never raises (logging must not end a turn)."""
        if self.path is None:
            return
        line = json.dumps(
            {"time": round(time.time(), 3), **record}, ensure_ascii=False, default=str
        )
        data = (line + "\n").encode("utf-8")
        try:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # O_APPEND: concurrent writers (several action-server workers)
                # each add whole lines.
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, data)
                finally:
                    os.close(fd)
        except OSError as error:
            logger.warning("Could not write the LLM audit log %s: %s", self.path, error)


def read_audit_log(path: Path) -> list[dict[str, Any]]:
    """Every record in an audit log (for tests and the red-team report)."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
