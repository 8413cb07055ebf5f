"""The domain contract: what a Rasa project needs for the plugin, from one list.

A project lists its open-ended intents once (``open_ended_intents`` in
rasa-hybrid.yml); the input guard's file names the attack intents. From these
two lists come the intents that go to the LLM action (``routed``), the rules
that send them there inside and outside every form (``fallback_rules``), and
the slot mappings' exclusions that keep a form from taking an open question,
or an attack, as its answer (``with_exclusions``). The importer adds the
rules and exclusions at training time; ``rasa-hybrid check`` reports what a
project still misses. Pure functions over plain dictionaries, as in YAML.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

FALLBACK_ACTION = "action_llm_fallback"
#: The importer that generates the rules and exclusions (config.yml).
IMPORTER = "rasa_hybrid.importer.HybridImporter"
NLU_FALLBACK = "nlu_fallback"
#: Responses the plugin's action and channels utter, besides the guard's.
RESPONSES = (
    "utter_default",
    "utter_llm_unavailable",
    "utter_knowledge_source",
    "utter_knowledge_quote",
    "utter_knowledge_unknown",
    "utter_message_too_long",
)
#: Slot mappings that read the customer's message (and so could take an open
#: question as an answer).
TEXT_MAPPINGS = ("from_text",)
ENTITY_MAPPINGS = ("from_entity",)
RULE_PREFIX = "rasa-hybrid:"


@dataclass(frozen=True)
class Contract:
    """The intents the plugin answers, and what follows from them."""

    open_ended: tuple[str, ...]
    guard_intents: tuple[str, ...]
    guard_responses: tuple[str, ...] = ()

    @property
    def routed(self) -> tuple[str, ...]:
        """Every intent that goes to the LLM action, without repeats."""
        return tuple(
            dict.fromkeys((NLU_FALLBACK, *self.open_ended, *self.guard_intents))
        )

    @property
    def intents(self) -> tuple[str, ...]:
        """The intents the domain must declare (``nlu_fallback`` is Rasa's own)."""
        return tuple(intent for intent in self.routed if intent != NLU_FALLBACK)

    @property
    def responses(self) -> tuple[str, ...]:
        """The responses the domain must define."""
        return tuple(dict.fromkeys((*RESPONSES, *self.guard_responses)))

    def fallback_rules(self, forms: Iterable[str]) -> list[dict[str, Any]]:
        """The rules that send routed intents to the action, as YAML would hold them.

        Outside any form the action answers; inside a form it answers and the
        form asks its pending question again.
        """
        turn = {"or": [{"intent": intent} for intent in self.routed]}
        rules: list[dict[str, Any]] = [
            {
                "rule": f"{RULE_PREFIX} open-ended turn outside of any task",
                "condition": [{"active_loop": None}],
                "steps": [turn, {"action": FALLBACK_ACTION}],
            }
        ]
        for form in sorted(forms):
            rules.append(
                {
                    "rule": f"{RULE_PREFIX} open-ended turn in {form}, then go on",
                    "condition": [{"active_loop": form}],
                    "steps": [
                        turn,
                        {"action": FALLBACK_ACTION},
                        {"action": form},
                        {"active_loop": form},
                    ],
                }
            )
        return rules

    def exclusions(self, mapping: Mapping[str, Any]) -> tuple[str, ...]:
        """The intents a slot mapping must not take its value from.

        A mapping that reads the whole message must not read a routed one; a
        mapping from an entity must not read an attack. A mapping limited to
        ``intent`` needs nothing.
        """
        if mapping.get("intent"):
            return ()
        if mapping.get("type") in TEXT_MAPPINGS:
            return self.routed
        if mapping.get("type") in ENTITY_MAPPINGS:
            return self.guard_intents
        return ()

    def with_exclusions(
        self, slots: Mapping[str, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """``slots`` with every mapping's ``not_intent`` holding its exclusions."""
        result: dict[str, dict[str, Any]] = {}
        for name, slot in slots.items():
            mappings = [
                _excluding(mapping, self.exclusions(mapping))
                for mapping in slot.get("mappings") or []
            ]
            result[name] = {**slot, "mappings": mappings} if mappings else dict(slot)
        return result

    def missing_exclusions(
        self, slots: Mapping[str, Mapping[str, Any]]
    ) -> list[tuple[str, int, tuple[str, ...]]]:
        """(slot, mapping's index, intents missing from its ``not_intent``)."""
        missing = []
        for name, slot in slots.items():
            for index, mapping in enumerate(slot.get("mappings") or []):
                absent = _absent(mapping, self.exclusions(mapping))
                if absent:
                    missing.append((name, index, absent))
        return missing


def _absent(mapping: Mapping[str, Any], intents: Sequence[str]) -> tuple[str, ...]:
    present = set(mapping.get("not_intent") or [])
    return tuple(intent for intent in intents if intent not in present)


def _excluding(mapping: Mapping[str, Any], intents: Sequence[str]) -> dict[str, Any]:
    absent = _absent(mapping, intents)
    if not absent:
        return dict(mapping)
    return {**mapping, "not_intent": [*(mapping.get("not_intent") or []), *absent]}


def is_generated_rule(name: str) -> bool:
    """Whether a rule's name marks it as one of ``fallback_rules``."""
    return name.startswith(RULE_PREFIX)


def project_contract(settings: Any = None) -> Contract:
    """The contract of the project in the working folder (or of ``settings``).

    The open-ended intents come from the settings, the attack intents and
    their responses from the input guard's file.
    """
    from rasa_hybrid.guards.input import InputRules
    from rasa_hybrid.llm.settings import LLMSettings

    settings = settings or LLMSettings.from_env()
    rules = InputRules.load(settings.input_guard_file)
    return Contract(
        open_ended=settings.open_ended_intents,
        guard_intents=tuple(
            intent for category in rules.categories for intent in category.intents
        ),
        guard_responses=tuple(category.response for category in rules.categories),
    )
