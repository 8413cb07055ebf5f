"""Turns raw model output into a reply fit to show: pure functions."""

from __future__ import annotations

import re

# A line where the model starts writing the next turn itself ("User: ...",
# "<|im_start|>user"), or a chat-template token anywhere.
_ROLE_LINE = re.compile(
    r"^\s*(?:#+\s*)?(?:user|customer|human|assistant|bot|system|chat history)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_SPECIAL_TOKEN = re.compile(
    r"<\|[^|>]{0,40}\|>(?:\s*(?:system|user|assistant)\b)?|</?s>|\[/?INST\]",
    re.IGNORECASE,
)
_LEADING_ROLE = re.compile(r"^\s*(?:assistant|bot|ai)\s*[:\-]\s*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…](?:[\"')\]]*)(?=\s|$)")
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")


def strip_roles(text: str) -> str:
    """Drops template tokens and role tags; cuts where the model writes a new turn."""
    special = _SPECIAL_TOKEN.search(text)
    if special and special.start() > 0:
        # Whatever follows a template token is a new turn, not this reply.
        text = text[: special.start()]
    text = _SPECIAL_TOKEN.sub(" ", text)
    text = _LEADING_ROLE.sub("", text, count=1)
    role = _ROLE_LINE.search(text)
    if role:
        text = text[: role.start()]
    return text


def drop_unfinished_sentence(text: str) -> str:
    """Cuts a trailing sentence that was not finished (no end punctuation).

    Text without any finished sentence is returned as it is: a short answer
    such as "Yes, we deliver on Saturdays" is better than nothing.
    """
    ends = list(_SENTENCE_END.finditer(text))
    if not ends:
        return text
    last = ends[-1].end()
    if text[last:].strip() and not text.rstrip().endswith(":"):
        return text[:last]
    return text


def limit_length(text: str, max_chars: int) -> str:
    """Keeps whole sentences up to ``max_chars``; cuts at a word otherwise."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    ends = [match.end() for match in _SENTENCE_END.finditer(head)]
    if ends and ends[-1] >= max_chars // 3:
        return head[: ends[-1]]
    cut = head.rsplit(None, 1)[0] if " " in head else head
    return cut.rstrip(",;:- ") + "…"


def clean_reply(text: str, max_chars: int) -> str:
    """The reply to show for raw model output; empty when nothing is usable."""
    text = strip_roles(text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", text).strip()
    text = drop_unfinished_sentence(text).strip()
    text = limit_length(text, max_chars).strip()
    if not any(char.isalnum() for char in text):
        return ""
    return text
