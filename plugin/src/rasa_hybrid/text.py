"""Pure checks and cuts on message text, shared by the plugin and NLU."""

from __future__ import annotations

import unicodedata


def is_readable(text: str, min_latin_share: float = 0.5) -> bool:
    """Tells whether a message has something an English model can understand.

    Readable: at least ``min_latin_share`` of its letters are Latin script, or
    it has no letters but has digits (a ZIP code, a number typed alone).
    Unreadable: empty, only whitespace, punctuation or emoji, or mostly
    written in another script.
    """
    letters = [char for char in text if char.isalpha()]
    if not letters:
        return any(char.isdigit() for char in text)
    latin = sum(1 for char in letters if "LATIN" in unicodedata.name(char, ""))
    return latin / len(letters) >= min_latin_share
