"""Writes a copy of endpoints.yml with the action server's URL set.

Usage: python scripts/render_endpoints.py SOURCE DESTINATION ACTION_URL

endpoints.yml itself stays usable by plain `rasa shell`; `make` passes Rasa
this copy so that ACTIONS_PORT can move the action server.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def render(source: str, action_url: str) -> str:
    """Returns the endpoints YAML of ``source`` with ``action_url`` set."""
    endpoints = yaml.safe_load(source) or {}
    endpoints.setdefault("action_endpoint", {})
    endpoints["action_endpoint"]["url"] = action_url
    return yaml.safe_dump(endpoints, sort_keys=False)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    src, dest, url = sys.argv[1:]
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    Path(dest).write_text(render(Path(src).read_text(encoding="utf-8"), url))
