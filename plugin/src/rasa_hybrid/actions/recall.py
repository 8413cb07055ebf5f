"""What the customer named earlier, read back from the conversation's events.

An open question such as "why is my washer leaking?" names an appliance: a
booking that follows should not ask for it again, and the LLM's next answer
should know which appliance the conversation is about. Instead of keeping
every appliance named outside a task in a slot (which any message, an attack
among them, would then change), the booking form and the LLM plugin read it
back from the conversation's events when they need it: those of the recent
turns that the tracker store hands over (``max_turns`` in endpoints.yml).
Pure functions over the events that rasa-sdk's ``Tracker`` carries and the
domain's slot mappings.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

Event = Mapping[str, Any]


def entity_mapping(domain: Mapping[str, Any], slot: str) -> tuple[str, set[str]] | None:
    """The entity that fills ``slot`` and the intents whose entities may not.

    Read from the slot's first ``from_entity`` mapping in the domain (its
    ``entity`` and ``not_intent``); None when the slot has no such mapping.
    """
    mappings = ((domain.get("slots") or {}).get(slot) or {}).get("mappings") or []
    for mapping in mappings:
        if mapping.get("type") == "from_entity" and mapping.get("entity"):
            return str(mapping["entity"]), set(mapping.get("not_intent") or [])
    return None


def recalled_slot(
    events: Sequence[Event],
    slot: str,
    domain: Mapping[str, Any],
    refusals: Collection[str] = (),
) -> str | None:
    """What the customer last named for ``slot``, by its domain entity mapping."""
    mapping = entity_mapping(domain, slot)
    if mapping is None:
        return None
    entity, ignored = mapping
    return recalled_entity(events, slot, entity, ignored, refusals)


def with_recalled(
    slots: Mapping[str, Any],
    events: Sequence[Event],
    names: Iterable[str],
    domain: Mapping[str, Any],
    refusals: Collection[str] = (),
) -> dict[str, Any]:
    """``slots``, each empty one of ``names`` holding what the customer named for it."""
    filled = dict(slots)
    for name in names:
        if filled.get(name) is None:
            value = recalled_slot(events, name, domain, refusals)
            if value is not None:
                filled[name] = value
    return filled


def form_starting(events: Sequence[Event], form: str) -> bool:
    """Whether ``form`` is being activated in the current turn.

    Rasa adds the form's ``active_loop`` event after the customer's latest
    message when it starts the form; on the form's later turns that event lies
    before it.
    """
    for event in reversed(events):
        kind = event.get("event")
        if kind == "user":
            return False
        if kind == "active_loop":
            return event.get("name") == form
    return False


def named_earlier(events: Sequence[Event], entity: str, value: Any) -> bool:
    """Whether ``value`` comes from before the latest message, which does not name it.

    False when there is no customer message, or when the latest one names
    ``value`` as ``entity``.
    """
    for event in reversed(events):
        if event.get("event") == "user":
            entities = (event.get("parse_data") or {}).get("entities") or []
            return value not in _values(entities, entity)
    return False


def recalled_entity(
    events: Sequence[Event],
    slot: str,
    entity: str,
    ignored: Collection[str] = (),
    refusals: Collection[str] = (),
) -> str | None:
    """The latest value of ``entity`` the customer named since ``slot`` was last set.

    Looks back through the customer's messages, newest first, and stops at
    the latest event that set or cleared ``slot`` (an earlier task used what
    came before it), at the start of the session, or at a restart. Skips
    messages NLU classified as an ignored intent and messages the assistant
    refused (a bot reply whose response is one of ``refusals``).
    """
    refused = False  # whether the replies after the message seen are refusals
    for event in reversed(events):
        kind = event.get("event")
        if kind in ("session_started", "restart"):
            return None
        if kind == "slot" and event.get("name") == slot:
            return None
        if kind == "bot":
            metadata = event.get("metadata") or {}
            refused = refused or metadata.get("utter_action") in refusals
        elif kind == "user":
            if not refused:
                value = _entity_value(event, entity, ignored)
                if value is not None:
                    return value
            refused = False
    return None


def _entity_value(event: Event, entity: str, ignored: Collection[str]) -> str | None:
    parse = event.get("parse_data") or {}
    if ((parse.get("intent") or {}).get("name")) in ignored:
        return None
    values = _values(parse.get("entities") or [], entity)
    return values[-1] if values else None


def _values(entities: Iterable[Mapping[str, Any]], entity: str) -> list[str]:
    return [
        str(found["value"])
        for found in entities
        if found.get("entity") == entity and isinstance(found.get("value"), str)
    ]
