"""The host project: its folder and the plugin's optional configuration file.

Both servers run in the Rasa project's folder (Rasa reads ``config.yml`` and
``domain.yml`` from there; rasa-sdk imports the project's ``actions``), so the
project folder is the working directory unless ``RASA_HYBRID_PROJECT`` names
another. Every relative path the plugin reads (knowledge, guard lists, offers,
the audit log) resolves against it, never against the plugin's own files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

PROJECT_VARIABLE = "RASA_HYBRID_PROJECT"
CONFIG_FILE = "rasa-hybrid.yml"


class ProjectConfigError(ValueError):
    """The configuration file cannot be used; the message says why."""


def project_dir(env: Mapping[str, str] | None = None) -> Path:
    """The host project's folder: ``RASA_HYBRID_PROJECT``, else the working one."""
    env = os.environ if env is None else env
    named = env.get(PROJECT_VARIABLE, "").strip()
    return Path(named).resolve() if named else Path.cwd()


def resolve(path: str | Path, root: Path) -> Path:
    """``path`` as given when absolute, else inside ``root``."""
    path = Path(path)
    return path if path.is_absolute() else root / path


def read_config(root: Path, name: str = CONFIG_FILE) -> dict[str, Any]:
    """The project's configuration file as a mapping; empty when there is none.

    Raises:
        ProjectConfigError: the file is not YAML, or not a mapping of keys.
    """
    path = root / name
    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ProjectConfigError(f"{path} is not valid YAML: {error}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ProjectConfigError(f"{path} must be a mapping of settings to values")
    return loaded
