"""Matches what the assistant said against the responses in domain.yml."""

import re

from tests.conftest import acme_domain

RESPONSES = acme_domain()["responses"]


def response_pattern(variant_text: str) -> re.Pattern:
    """A pattern for a response text whose {placeholders} match any value."""
    parts = re.split(r"{\w+}", variant_text)
    return re.compile(".+?".join(re.escape(part) for part in parts), re.DOTALL)


def is_response(text: str, name: str) -> bool:
    """Whether ``text`` is one of the variants of the domain response ``name``."""
    return any(
        response_pattern(variant["text"]).fullmatch(text or "")
        for variant in RESPONSES[name]
    )


def which_response(text: str) -> str:
    """The name of the domain response that ``text`` is, or '' for none."""
    return next((name for name in RESPONSES if is_response(text, name)), "")
