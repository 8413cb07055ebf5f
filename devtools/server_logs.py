"""Errors in the servers' logs: a normal run logs none it did not expect."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# Python's logging ("ERROR"), structlog's console lines ("[error    ]") as
# Rasa 3.6 writes them, Sanic's ("[ERROR]"), and tracebacks.
ERROR_LINE = re.compile(
    r"\bERROR\b|\bCRITICAL\b|\[(?:error|critical)\s*\]"
    r"|Traceback \(most recent call last\)"
)


@dataclass(frozen=True)
class LogError:
    """One line of a log that reports an error."""

    log: str
    number: int
    line: str

    def __str__(self) -> str:
        return f"{self.log}:{self.number}: {self.line}"


def error_lines(log: str, text: str) -> list[LogError]:
    """The lines of ``text`` (the log named ``log``) that report an error."""
    return [
        LogError(log, number, line.rstrip())
        for number, line in enumerate(text.splitlines(), start=1)
        if ERROR_LINE.search(line)
    ]


def unexpected(errors: Iterable[LogError], expected: Sequence[str]) -> list[LogError]:
    """The errors no pattern of ``expected`` (regular expressions) accounts for.

    A traceback line is accounted for by the error line logged just before it
    in the same log, when that one was expected.
    """
    patterns = [re.compile(pattern) for pattern in expected]
    left: list[LogError] = []
    excused_log, excused_until = "", -1
    for error in errors:
        if any(pattern.search(error.line) for pattern in patterns):
            excused_log, excused_until = error.log, error.number + 3
            continue
        if (
            error.line.startswith("Traceback")
            and error.log == excused_log
            and error.number <= excused_until
        ):
            continue
        left.append(error)
    return left
