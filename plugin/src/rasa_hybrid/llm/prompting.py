"""Prompt templates as data: a YAML file of Jinja templates per task."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@functools.lru_cache(maxsize=64)
def _template(text: str) -> Template:
    """``text`` compiled once: the prompt files hold a handful of templates."""
    return _ENV.from_string(text)


_MAX_SLOT_CHARS = 80


class PromptConfigError(ValueError):
    """A prompt file is missing, malformed or has a broken template."""


@dataclass(frozen=True)
class PromptTemplates:
    """The system template, per-route instructions and the slots to show."""

    system: str
    routes: Mapping[str, str]
    context_slots: tuple[str, ...]
    source: Path
    ungrounded_routes: frozenset[str] = frozenset()
    user: str = "{{ message }}"

    @classmethod
    def load(cls, folder: Path, task: str = "fallback") -> PromptTemplates:
        """Reads ``<folder>/<task>.yml`` and checks that its templates compile.

        Raises:
            PromptConfigError: with the file and the problem.
        """
        path = folder / f"{task}.yml"
        try:
            with open(path, encoding="utf-8") as handle:
                data = yaml.safe_load(handle)
        except (OSError, yaml.YAMLError) as error:
            raise PromptConfigError(f"{path}: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get("system"), str):
            raise PromptConfigError(f"{path}: needs a 'system' template")
        routes = data.get("routes") or {}
        if not isinstance(routes, dict) or "default" not in routes:
            raise PromptConfigError(f"{path}: 'routes' needs a 'default' entry")
        slots = data.get("context_slots") or []
        templates = cls(
            system=data["system"],
            routes={str(key): str(value) for key, value in routes.items()},
            context_slots=tuple(str(slot) for slot in slots),
            source=path,
            ungrounded_routes=frozenset(
                str(route) for route in data.get("ungrounded_routes") or []
            ),
            user=str(data.get("user") or "{{ message }}"),
        )
        try:
            for text in (templates.system, templates.user, *templates.routes.values()):
                _template(text)
        except TemplateError as error:
            raise PromptConfigError(f"{path}: {error}") from error
        return templates

    def relevant_slots(self, slots: Mapping[str, Any]) -> dict[str, str]:
        """The listed slots that have a value, as short strings."""
        shown = {}
        for name in self.context_slots:
            value = slots.get(name)
            if value is None or value == "" or value == []:
                continue
            shown[name] = str(value)[:_MAX_SLOT_CHARS]
        return shown

    def render_system(
        self,
        route: str,
        slots: Mapping[str, Any],
        passages: Sequence[Mapping[str, str]] = (),
    ) -> str:
        """The system message for a turn on ``route``, with slots and passages."""
        variables: dict[str, Any] = {
            "route": route,
            "slots": self.relevant_slots(slots),
            "passages": list(passages),
        }
        instruction = self.routes.get(route, self.routes["default"])
        variables["instruction"] = _template(instruction).render(variables).strip()
        return _template(self.system).render(variables).strip()

    def render_user(
        self, message: str, passages: Sequence[Mapping[str, str]] = ()
    ) -> str:
        """The customer's (redacted, truncated) message as the model receives it."""
        variables = {"message": message, "passages": list(passages)}
        return _template(self.user).render(variables).strip()
