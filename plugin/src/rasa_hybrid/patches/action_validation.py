"""Checks the action server's replies against Rasa's schema, compiled once.

Rasa 3.6 checks every reply of the action server with ``jsonschema.validate``,
which first checks the schema itself against JSON Schema's 2020-12
meta-schema and builds a new validator, on every call: a fifth of the Rasa
server's CPU time in a form-heavy load (py-spy, `make bench-load`). This
replaces that one method of ``RemoteAction`` with the same check on a
validator built once. Valid replies pass and invalid ones raise the same
``ValidationError`` as before; only the repeated work is gone.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction

_ORIGINAL = RemoteAction._validate_action_result
HINT = (
    ". Failed to validate Action server response from API, make sure your "
    "response from the Action endpoint is valid."
)


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """A validator for Rasa's action-response schema; the schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` on the compiled validator."""
    validator = response_validator()
    if validator.is_valid(result):
        return True
    error = exceptions.best_match(validator.iter_errors(result))
    error.message += HINT
    raise error


def install() -> None:
    """Makes Rasa use the compiled check (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result


def installed() -> bool:
    """Whether Rasa uses the compiled check."""
    return RemoteAction._validate_action_result is validate_action_result


def uninstall() -> None:
    """Rasa's own check again (tests)."""
    RemoteAction._validate_action_result = _ORIGINAL
