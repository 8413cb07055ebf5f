"""``rasa-hybrid check``: what a project still misses for the plugin, with fixes.

It reads the project's files as YAML (no Rasa needed, so it runs in the
action server's environment) and reports each missing or inconsistent piece
of the domain contract (``contract.py``) with the change that fixes it.
Errors break a conversation (a routed intent that no rule sends to the LLM, a
form slot that takes an open question as its answer); warnings weaken one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from rasa_hybrid.cli.init import imports_the_action
from rasa_hybrid.contract import FALLBACK_ACTION, IMPORTER, Contract, project_contract
from rasa_hybrid.llm.settings import LLMSettings
from rasa_hybrid.project import ProjectConfigError

PATCHES_ENTRY = "rasa_hybrid.patches.channel.RasaPatches"
PLUGIN_DOMAIN = Path("domain") / "rasa_hybrid.yml"
#: Components whose lists must name every attack intent, and the list's key.
GUARD_LISTS = {
    "rasa_hybrid.nlu.entity_diet.EntityDIETClassifier": "skip_intents",
    "rasa_hybrid.nlu.novelty.NoveltyPenalty": "exempt_intents",
    "rasa_hybrid.nlu.linear_intent_classifier.LinearIntentClassifier": (
        "exempt_intents"
    ),
}
#: Settings without which a component's guard list does nothing.
GUARD_LIST_NEEDS = {
    "rasa_hybrid.nlu.linear_intent_classifier.LinearIntentClassifier": (
        "novelty_strength"
    ),
}


@dataclass(frozen=True)
class Finding:
    """One problem: how bad, in which file, what is wrong, and the fix."""

    level: str  # "error" or "warning"
    where: str
    problem: str
    fix: str


def _load(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}


def load_domain(root: Path, with_plugin: bool) -> dict[str, Any]:
    """The project's domain (a file or a folder), merged as Rasa merges it.

    Lists are joined and mappings updated, file by file; with ``with_plugin``
    the plugin's domain file is merged too (as the importer does).
    """
    files = (
        sorted((root / "domain").rglob("*.yml"))
        if (root / "domain").is_dir() and not (root / "domain.yml").is_file()
        else [root / "domain.yml"]
    )
    if with_plugin and (root / PLUGIN_DOMAIN).is_file():
        files.append(root / PLUGIN_DOMAIN)
    merged: dict[str, Any] = {"intents": [], "actions": [], "responses": {}}
    merged.update(slots={}, forms={})
    for path in dict.fromkeys(files):
        for key, value in _load(path).items():
            if isinstance(value, list):
                merged[key] = [*merged.get(key, []), *value]
            elif isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            else:
                merged[key] = value
    for key in ("intents", "actions"):
        merged[key] = [
            next(iter(item)) if isinstance(item, dict) else item for item in merged[key]
        ]
    return merged


def effective_domain(root: Path, contract: Contract) -> dict[str, Any]:
    """The domain Rasa trains on with the plugin's importer (pure Python)."""
    domain = load_domain(root, with_plugin=True)
    return {**domain, "slots": contract.with_exclusions(domain["slots"])}


def _training_files(root: Path) -> Iterable[dict[str, Any]]:
    for path in sorted((root / "data").rglob("*.yml")):
        data = _load(path)
        if isinstance(data, dict):
            yield data


def _items(value: Any) -> list[Any]:
    """``value`` if it is a YAML list, else none (a file of another shape)."""
    return value if isinstance(value, list) else []


def intents_with_examples(root: Path) -> set[str]:
    """The intents that the training data gives examples of."""
    return {
        str(block["intent"])
        for data in _training_files(root)
        for block in _items(data.get("nlu"))
        if isinstance(block, dict) and block.get("intent")
    }


def _rule_intents(rule: Mapping[str, Any]) -> tuple[set[str], list[Any]]:
    steps = _items(rule.get("steps"))
    if not steps:
        return set(), []
    first = steps[0]
    options = (
        _items(first.get("or"))
        if isinstance(first, dict) and "or" in first
        else [first]
    )
    intents = {
        str(option["intent"])
        for option in options
        if isinstance(option, dict) and "intent" in option
    }
    return intents, steps[1:]


def covered_intents(root: Path, loop: str | None) -> set[str]:
    """The intents the project's own rules send to the LLM action in ``loop``."""
    covered: set[str] = set()
    for data in _training_files(root):
        for rule in _items(data.get("rules")):
            if not isinstance(rule, dict):
                continue
            condition = rule.get("condition") or []
            loops = [c["active_loop"] for c in condition if "active_loop" in c]
            if loops != [loop]:
                continue
            intents, rest = _rule_intents(rule)
            if rest and rest[0] == {"action": FALLBACK_ACTION}:
                covered |= intents
    return covered


def _names(items: Iterable[Any]) -> list[str]:
    return [
        str(item.get("name")) if isinstance(item, dict) else str(item)
        for item in items or []
    ]


def check_config(root: Path, contract: Contract) -> list[Finding]:
    """The pipeline routes, the policies follow rules, the importer generates."""
    config = _load(root / "config.yml")
    found: list[Finding] = []
    pipeline = config.get("pipeline") or []
    names = _names(pipeline)
    if not any(name.endswith("FallbackClassifier") for name in names):
        found.append(
            Finding(
                "error",
                "config.yml",
                "no FallbackClassifier: no message is ever sent to the LLM",
                "add `- name: rasa_hybrid.nlu.calibrated_fallback."
                "CalibratedFallbackClassifier` to the pipeline,"
                " or run `rasa-hybrid init` on a config without a pipeline",
            )
        )
    if "rasa_hybrid.nlu.input_guard_flag.InputGuardFlag" not in names:
        found.append(
            Finding(
                "warning",
                "config.yml",
                "no InputGuardFlag: obvious attacks reach the classifiers' verdict",
                "add `- name: rasa_hybrid.nlu.input_guard_flag.InputGuardFlag` last",
            )
        )
    for component in pipeline:
        if not isinstance(component, dict):
            continue
        name = str(component.get("name"))
        key = GUARD_LISTS.get(name)
        if name in GUARD_LIST_NEEDS and not component.get(GUARD_LIST_NEEDS[name]):
            key = None
        listed = set(component.get(key) or []) if key else set()
        absent = [i for i in contract.guard_intents if key and i not in listed]
        if absent:
            found.append(
                Finding(
                    "warning",
                    "config.yml",
                    f"{component['name']} does not list {', '.join(absent)}",
                    f"add them to its {key}",
                )
            )
    if "RulePolicy" not in _names(config.get("policies") or []):
        found.append(
            Finding(
                "error",
                "config.yml",
                "no RulePolicy: the rules that send turns to the LLM never apply",
                "add `- name: RulePolicy` to the policies",
            )
        )
    return found


def uses_importer(root: Path) -> bool:
    """Whether config.yml names the plugin's importer."""
    return IMPORTER in _names(_load(root / "config.yml").get("importers") or [])


def check_domain(
    root: Path, domain: Mapping[str, Any], contract: Contract, generated: bool
) -> list[Finding]:
    """The intents, action and responses, and (by hand) the exclusions."""
    where = str(PLUGIN_DOMAIN) if generated else "domain.yml"
    found = [
        Finding("error", where, f"intent {intent} is not declared", "add it to intents")
        for intent in contract.intents
        if intent not in domain["intents"]
    ]
    if FALLBACK_ACTION not in domain["actions"]:
        found.append(
            Finding("error", where, f"no action {FALLBACK_ACTION}", "add it to actions")
        )
    found += [
        Finding(
            "error",
            where,
            f"response {name} is missing: the plugin utters it",
            f"add `{name}:` with its text to responses ({PLUGIN_DOMAIN} has them all)",
        )
        for name in contract.responses
        if name not in domain["responses"]
    ]
    if not generated:
        for slot, index, absent in contract.missing_exclusions(domain["slots"]):
            found.append(
                Finding(
                    "error",
                    "domain.yml",
                    f"slot {slot}, mapping {index + 1} takes its value from"
                    f" {', '.join(absent)}: an open question or an attack could"
                    " become its value",
                    f"add them to that mapping's not_intent, or use {IMPORTER}",
                )
            )
    return found


def check_data(
    root: Path, domain: Mapping[str, Any], contract: Contract, generated: bool
) -> list[Finding]:
    """Examples of every routed intent, and (by hand) the fallback rules."""
    examples = intents_with_examples(root)
    found = [
        Finding(
            "error" if intent in contract.open_ended else "warning",
            "data/",
            f"no NLU examples of {intent}",
            "add examples (`rasa-hybrid init` writes data/rasa_hybrid/nlu.yml)",
        )
        for intent in contract.intents
        if intent not in examples
    ]
    if generated:
        return found
    for loop in [None, *sorted(domain["forms"])]:
        absent = sorted(set(contract.routed) - covered_intents(root, loop))
        if absent:
            place = f"in {loop}" if loop else "outside of any form"
            found.append(
                Finding(
                    "error",
                    "data/rules",
                    f"no rule sends {', '.join(absent)} to {FALLBACK_ACTION} {place}",
                    f"add the rule (or use {IMPORTER}, which generates them)",
                )
            )
    return found


def check_servers(root: Path) -> list[Finding]:
    """The action import, the action endpoint, the patches, the /ready route."""
    found: list[Finding] = []
    if not imports_the_action(root):
        found.append(
            Finding(
                "error",
                "actions/",
                "no module imports rasa_hybrid.actions: the action server lacks"
                f" {FALLBACK_ACTION}",
                "add actions/llm_fallback.py (`rasa-hybrid init` writes it)",
            )
        )
    endpoint = _load(root / "endpoints.yml").get("action_endpoint") or {}
    if not endpoint.get("url"):
        found.append(
            Finding(
                "error",
                "endpoints.yml",
                "no action_endpoint: Rasa cannot reach the plugin's action",
                'add `action_endpoint: {url: "http://localhost:5055/webhook"}`',
            )
        )
    if PATCHES_ENTRY not in _load(root / "credentials.yml"):
        found.append(
            Finding(
                "warning",
                "credentials.yml",
                "the plugin's patches of Rasa are not installed",
                f"add `{PATCHES_ENTRY}:`",
            )
        )
    plugins = root / "rasa_sdk_plugins" / "__init__.py"
    if not plugins.is_file() or "rasa_hybrid.actions" not in plugins.read_text():
        found.append(
            Finding(
                "warning",
                "rasa_sdk_plugins/",
                "the action server has no /ready route",
                "register rasa_hybrid.actions.ready (`rasa-hybrid init` writes it)",
            )
        )
    return found


def check_project(root: Path) -> list[Finding]:
    """Every finding for the project at ``root``."""
    try:
        settings = LLMSettings.from_env({}, project=root)
        contract = project_contract(settings)
    except (ValueError, ProjectConfigError) as error:
        return [Finding("error", "rasa-hybrid.yml", str(error), "correct the setting")]
    generated = uses_importer(root)
    domain = load_domain(root, with_plugin=generated)
    found = check_config(root, contract)
    if not generated:
        found.append(
            Finding(
                "warning",
                "config.yml",
                f"no {IMPORTER}: the rules and exclusions must be written by hand",
                f"add `importers: [{{name: {IMPORTER}}}]`",
            )
        )
    return [
        *found,
        *check_domain(root, domain, contract, generated),
        *check_data(root, domain, contract, generated),
        *check_servers(root),
    ]


def report(findings: Iterable[Finding]) -> str:
    """The findings as lines for a terminal, and a summary."""
    findings = list(findings)
    lines = [
        f"{item.level:<8}{item.where}: {item.problem}\n        fix: {item.fix}"
        for item in findings
    ]
    errors = sum(item.level == "error" for item in findings)
    warnings = len(findings) - errors
    lines.append(
        "The project has everything the plugin needs."
        if not findings
        else f"{errors} error(s), {warnings} warning(s)."
    )
    return "\n".join(lines)
