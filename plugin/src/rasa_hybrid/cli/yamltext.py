"""Edits of a YAML file's text that keep every line the user wrote.

``rasa-hybrid init`` adds blocks to config.yml, endpoints.yml and
credentials.yml; rewriting those files through a YAML parser would drop
their comments. These functions only insert lines. Pure functions on text.
"""

from __future__ import annotations

import re
from typing import Any

import yaml


def top_level(text: str) -> dict[str, Any]:
    """The file's top-level mapping (empty for an empty or non-mapping file)."""
    loaded = yaml.safe_load(text) if text.strip() else None
    return loaded if isinstance(loaded, dict) else {}


def fill_empty_key(text: str, key: str, block: str) -> str:
    """``text`` with ``block`` (indented list items) right under ``key:``.

    For a key present with no value (``pipeline:`` followed by comments, as
    ``rasa init`` writes it); a key with a value is left alone, and a missing
    key is appended with the block.
    """
    if top_level(text).get(key) is not None:
        return text
    line = re.compile(rf"^{re.escape(key)}:[ \t]*(#.*)?$", re.MULTILINE)
    found = line.search(text)
    if found is None:
        return append(text, f"{key}:\n{block}")
    end = found.end()
    return f"{text[:end]}\n{block.rstrip()}{text[end:]}"


def append(text: str, block: str) -> str:
    """``text`` with ``block`` after it, separated by one blank line."""
    body, block = text.rstrip("\n"), block.strip("\n")
    return f"{body}\n\n{block}\n" if body else f"{block}\n"
