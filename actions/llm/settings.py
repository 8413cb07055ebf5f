"""Every environment variable the LLM plugin reads, in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROMPTS_DIR = Path(__file__).resolve().parent / "prompts"

PROVIDERS = ("local", "openai", "fake")
QUANTIZATIONS = ("int8", "int4", "int8-dynamic", "none")
ENGINES = ("lean", "transformers")


class SettingsError(ValueError):
    """A variable has a value the plugin cannot use; the message says which."""


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise SettingsError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in allowed:
        raise SettingsError(f"{name}={value!r}: choose one of {', '.join(allowed)}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: use 1 or 0")


def _path(env: Mapping[str, str], name: str, default: Path) -> Path:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_ROOT / path


def _optional_path(
    env: Mapping[str, str], name: str, default: Path | None
) -> Path | None:
    """A path, or None when the variable says ``off`` (or 0, false, no)."""
    if env.get(name, "").strip().lower() in ("off", "0", "false", "no", "none"):
        return None
    return _path(env, name, default) if default else _path(env, name, Path())


@dataclass(frozen=True)
class LLMSettings:
    """How the plugin talks to its model, and within which limits."""

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
    offers_file: Path = PROJECT_ROOT / "data" / "llm_offers.yml"
    knowledge_dir: Path = PROJECT_ROOT / "data" / "knowledge"
    knowledge_cache: Path = PROJECT_ROOT / "var" / "knowledge"
    retrieval_top_k: int = 2
    retrieval_min_score: float = 0.35
    audit_log: Path | None = PROJECT_ROOT / "var" / "llm_audit.jsonl"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSettings:
        """Reads the settings from the environment (``os.environ`` by default).

        Raises:
            SettingsError: a variable is set to a value that cannot work.
        """
        env = os.environ if env is None else env
        fake = env.get("LLM_FAKE_REPLIES", "").strip()
        return cls(
            provider=_choice(env, "LLM_PROVIDER", cls.provider, PROVIDERS),
            timeout_s=_number(env, "LLM_TIMEOUT_S", cls.timeout_s, 0.1),
            max_new_tokens=int(
                _number(env, "LLM_MAX_NEW_TOKENS", cls.max_new_tokens, 1)
            ),
            max_prompt_tokens=int(
                _number(env, "LLM_MAX_PROMPT_TOKENS", cls.max_prompt_tokens, 128)
            ),
            max_user_tokens=int(
                _number(env, "LLM_MAX_USER_TOKENS", cls.max_user_tokens, 16)
            ),
            history_turns=int(_number(env, "LLM_HISTORY_TURNS", cls.history_turns, 0)),
            max_reply_chars=int(
                _number(env, "LLM_MAX_REPLY_CHARS", cls.max_reply_chars, 40)
            ),
            breaker_failures=int(
                _number(env, "LLM_BREAKER_FAILURES", cls.breaker_failures, 1)
            ),
            breaker_cooldown_s=_number(
                env, "LLM_BREAKER_COOLDOWN_S", cls.breaker_cooldown_s, 0
            ),
            preload=_flag(env, "LLM_PRELOAD", cls.preload),
            local_quantize=_choice(
                env, "LLM_LOCAL_QUANTIZE", cls.local_quantize, QUANTIZATIONS
            ),
            local_engine=_choice(env, "LLM_LOCAL_ENGINE", cls.local_engine, ENGINES),
            local_threads=int(_number(env, "LLM_LOCAL_THREADS", cls.local_threads, 0)),
            openai_base_url=env.get("LLM_OPENAI_BASE_URL", "").strip().rstrip("/")
            or cls.openai_base_url,
            openai_model=env.get("LLM_OPENAI_MODEL", "").strip() or cls.openai_model,
            openai_api_key=env.get("LLM_OPENAI_API_KEY", "").strip(),
            openai_context_window=int(
                _number(
                    env, "LLM_OPENAI_CONTEXT_WINDOW", cls.openai_context_window, 256
                )
            ),
            fake_replies=_path(env, "LLM_FAKE_REPLIES", Path()) if fake else None,
            prompts_dir=_path(env, "LLM_PROMPTS_DIR", PROMPTS_DIR),
            offers_file=_path(env, "LLM_OFFERS_FILE", cls.offers_file),
            knowledge_dir=_path(env, "LLM_KNOWLEDGE_DIR", cls.knowledge_dir),
            knowledge_cache=_path(env, "LLM_KNOWLEDGE_CACHE", cls.knowledge_cache),
            retrieval_top_k=int(
                _number(env, "LLM_RETRIEVAL_TOP_K", cls.retrieval_top_k, 1)
            ),
            retrieval_min_score=_number(
                env, "LLM_RETRIEVAL_MIN_SCORE", cls.retrieval_min_score, -1
            ),
            audit_log=_optional_path(env, "LLM_AUDIT_LOG", cls.audit_log),
        )
