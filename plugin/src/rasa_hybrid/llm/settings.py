"""Every setting of the action server's half of the plugin, in one place.

Each setting has a key in the project's optional ``rasa-hybrid.yml`` and an
environment variable, ``LLM_`` and the key in capitals, which wins over the
file. Relative paths resolve against the project folder (``project.py``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from rasa_hybrid.project import project_dir, read_config, resolve
from rasa_hybrid.providers.registry import is_known_provider, provider_names

#: The plugin's own prompts: persona-free; a project points ``prompts_dir``
#: to a folder of its own.
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"
#: The plugin's own guard lists, for a project without lists of its own.
GUARDS_DIR = Path(__file__).resolve().parent.parent / "guards" / "defaults"

QUANTIZATIONS = ("int8", "int4", "int8-dynamic", "none")
ENGINES = ("lean", "transformers")
_OFF = ("off", "0", "false", "no", "none")


class SettingsError(ValueError):
    """A setting has a value the plugin cannot use; the message says which."""


def _text(value: Any) -> str:
    """A value from the environment or the YAML file, as the text it stands for."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(_text(item) for item in value)
    return "" if value is None else str(value).strip()


def _number(minimum: float, whole: bool = False) -> Callable[[str, str], Any]:
    def parse(raw: str, where: str) -> float | int:
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{where}={raw!r} is not a number") from None
        if value < minimum:
            raise SettingsError(f"{where}={raw!r} must be at least {minimum:g}")
        return int(value) if whole else value

    return parse


def _choice(allowed: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(raw: str, where: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise SettingsError(
                f"{where}={value!r}: choose one of {', '.join(allowed)}"
            )
        return value

    return parse


def _provider(raw: str, where: str) -> str:
    value = raw if ":" in raw else raw.lower()
    if not is_known_provider(value):
        raise SettingsError(
            f"{where}={value!r}: choose one of {', '.join(provider_names())}, "
            "or name a factory as module:function"
        )
    return value


def _flag(raw: str, where: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{where}={raw!r}: use 1 or 0")


def _plain(raw: str, where: str) -> str:
    return raw


def _url(raw: str, where: str) -> str:
    return raw.rstrip("/")


def _names(raw: str, where: str) -> tuple[str, ...]:
    """Names separated by commas (a YAML list in the file)."""
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    bad = [name for name in names if not name.replace("_", "").isalnum()]
    if bad:
        raise SettingsError(f"{where}: {', '.join(bad)} is not an intent name")
    return names


def _path(raw: str, where: str) -> Path:
    return Path(raw)


def _optional_path(raw: str, where: str) -> Path | None:
    """A path, or None when the value says ``off`` (or 0, false, no)."""
    return None if raw.lower() in _OFF else Path(raw)


@dataclass(frozen=True)
class LLMSettings:
    """How the plugin talks to its model, what it reads, and within which limits."""

    provider: str = "local"
    timeout_s: float = 6.0
    max_new_tokens: int = 64
    max_prompt_tokens: int = 1024
    max_user_tokens: int = 160
    history_turns: int = 6
    max_reply_chars: int = 600
    breaker_failures: int = 3
    breaker_cooldown_s: float = 30.0
    preload: bool = False
    local_quantize: str = "int8"
    local_engine: str = "lean"
    local_threads: int = 0
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "default"
    openai_api_key: str = ""
    openai_context_window: int = 4096
    fake_replies: Path | None = None
    prompts_dir: Path = PROMPTS_DIR
    offers_file: Path = Path("data/llm_offers.yml")
    knowledge_dir: Path = Path("data/knowledge")
    knowledge_cache: Path = Path("var/knowledge")
    retrieval_top_k: int = 2
    retrieval_min_score: float = 0.35
    #: A quoted reply shows at most this many sentences of the passages
    #: (``0``: the best passage, whole, up to the quote's length limit).
    quote_max_sentences: int = 3
    audit_log: Path | None = Path("var/llm_audit.jsonl")
    input_guard_file: Path = GUARDS_DIR / "input.yml"
    output_guard_file: Path = GUARDS_DIR / "output.yml"
    pii_file: Path = GUARDS_DIR / "pii.yml"
    #: The intents that are open-ended by nature, besides ``nlu_fallback``:
    #: they go to the LLM action inside and outside every form.
    open_ended_intents: tuple[str, ...] = ()

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        project: Path | None = None,
        config: Mapping[str, Any] | None = None,
    ) -> LLMSettings:
        """The settings of ``project``: its ``rasa-hybrid.yml``, then ``env``.

        ``env`` is ``os.environ`` by default, ``project`` the project folder
        (``project.project_dir``), ``config`` the file's content (read from
        the project when not given).

        Raises:
            SettingsError: a setting has a value that cannot work, or the file
                names a setting that does not exist.
        """
        env = os.environ if env is None else env
        root = project_dir(env) if project is None else project
        config = read_config(root) if config is None else config
        unknown = sorted(set(config) - set(PARSERS))
        if unknown:
            raise SettingsError(
                f"rasa-hybrid.yml: unknown setting {', '.join(map(repr, unknown))};"
                f" the settings are {', '.join(PARSERS)}"
            )
        values: dict[str, Any] = {}
        for name, parse in PARSERS.items():
            variable = env_variable(name)
            raw, where = _text(env.get(variable)), variable
            if not raw:
                raw, where = _text(config.get(name)), f"rasa-hybrid.yml: {name}"
            if raw:
                values[name] = parse(raw, where)
        return cls(**values).resolved(root)

    def resolved(self, root: Path) -> LLMSettings:
        """The same settings with every relative path inside ``root``."""
        paths: dict[str, Any] = {
            item.name: resolve(value, root)
            for item in fields(self)
            if isinstance(value := getattr(self, item.name), Path)
        }
        return replace(self, **paths)


def env_variable(name: str) -> str:
    """The environment variable of a setting: ``timeout_s`` → ``LLM_TIMEOUT_S``."""
    return f"LLM_{name.upper()}"


PARSERS: dict[str, Callable[[str, str], Any]] = {
    "provider": _provider,
    "timeout_s": _number(0.1),
    "max_new_tokens": _number(1, whole=True),
    "max_prompt_tokens": _number(128, whole=True),
    "max_user_tokens": _number(16, whole=True),
    "history_turns": _number(0, whole=True),
    "max_reply_chars": _number(40, whole=True),
    "breaker_failures": _number(1, whole=True),
    "breaker_cooldown_s": _number(0),
    "preload": _flag,
    "local_quantize": _choice(QUANTIZATIONS),
    "local_engine": _choice(ENGINES),
    "local_threads": _number(0, whole=True),
    "openai_base_url": _url,
    "openai_model": _plain,
    "openai_api_key": _plain,
    "openai_context_window": _number(256, whole=True),
    "fake_replies": _path,
    "prompts_dir": _path,
    "offers_file": _path,
    "knowledge_dir": _path,
    "knowledge_cache": _path,
    "retrieval_top_k": _number(1, whole=True),
    "retrieval_min_score": _number(-1),
    "quote_max_sentences": _number(0, whole=True),
    "audit_log": _optional_path,
    "input_guard_file": _path,
    "output_guard_file": _path,
    "pii_file": _path,
    "open_ended_intents": _names,
}
