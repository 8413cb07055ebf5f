"""Entities that a pattern settles, where the learnt extractor found none.

A ZIP code or an email address has a fixed shape, and the project's training
data already states it as a ``regex:`` entry (which ``RegexFeaturizer`` turns
into features for DIET). DIET still misses one now and then, after a change
to unrelated training examples: "33333" alone is then no entity, and a form
that asks for it counts a wrong answer. This component runs after DIET and
adds, for each named pattern, the matches that no extractor has covered.

Unlike Rasa's ``RegexEntityExtractor`` it never adds a second entity where
one is already found, so a message reads the same whether DIET caught it or
not, and a test story's entity check sees one entity either way.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

ENTITIES_KEY = "entities"
PATTERNS_FILE = "patterns.json"

logger = logging.getLogger(__name__)

Pattern = tuple[str, str]  # (entity name, regular expression)
Span = tuple[int, int]


def patterns_for(
    training_data: TrainingData, wanted: list[str] | None
) -> list[Pattern]:
    """The training data's regexes for ``wanted`` entities, in file order.

    ``wanted`` of ``None`` takes every regex named after an entity that the
    examples annotate; a regex named otherwise is only a feature.
    """
    names = set(wanted) if wanted is not None else training_data.entities
    return [
        (feature["name"], feature["pattern"])
        for feature in training_data.regex_features
        if feature["name"] in names
    ]


def uncovered_matches(
    text: str,
    patterns: list[tuple[str, re.Pattern[str]]],
    taken: list[Span],
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Entities for matches in ``text[:limit]`` overlapping no span in ``taken``."""
    spans = list(taken)
    found = []
    end_of_search = len(text) if limit is None else min(limit, len(text))
    for name, pattern in patterns:
        for match in pattern.finditer(text, 0, end_of_search):
            start, end = match.span()
            if start == end or any(start < e and s < end for s, e in spans):
                continue
            spans.append((start, end))
            found.append(
                {
                    ENTITY_ATTRIBUTE_TYPE: name,
                    ENTITY_ATTRIBUTE_START: start,
                    ENTITY_ATTRIBUTE_END: end,
                    ENTITY_ATTRIBUTE_VALUE: match.group(0),
                }
            )
    return found


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=True
)
class PatternEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds pattern matches as entities where no other extractor found one."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """``entities``: the regexes to extract (default: all named after one)."""
        return {ENTITIES_KEY: None}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        patterns: list[Pattern] | None = None,
    ) -> None:
        """Creates the component; ``patterns`` come from training or the model."""
        self._config = config
        self._model_storage = model_storage
        self._resource = resource
        self._patterns = list(patterns or [])
        self._compiled = [(name, re.compile(regex)) for name, regex in self._patterns]

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PatternEntityExtractor:
        """Creates an untrained component (see parent class for the signature)."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> PatternEntityExtractor:
        """Loads the patterns stored at training time."""
        try:
            with model_storage.read_from(resource) as directory:
                stored = json.loads((directory / PATTERNS_FILE).read_text("utf-8"))
        except (ValueError, FileNotFoundError):
            logger.debug("No stored patterns: the component extracts nothing.")
            stored = []
        return cls(config, model_storage, resource, [tuple(p) for p in stored])

    def train(self, training_data: TrainingData) -> Resource:
        """Keeps the training data's patterns for the configured entities."""
        wanted = self._config.get(ENTITIES_KEY)
        patterns = patterns_for(training_data, wanted)
        missing = sorted(set(wanted or []) - {name for name, _ in patterns})
        if missing:
            logger.warning("No regex in the training data for %s", ", ".join(missing))
        for _, regex in patterns:
            re.compile(regex)  # a broken pattern fails training, not a parse
        with self._model_storage.write_to(self._resource) as directory:
            (directory / PATTERNS_FILE).write_text(json.dumps(patterns), "utf-8")
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Adds the uncovered matches to each message's entities."""
        if not self._compiled:
            return messages
        for message in messages:
            entities = list(message.get(ENTITIES) or [])
            taken = [
                (e[ENTITY_ATTRIBUTE_START], e[ENTITY_ATTRIBUTE_END])
                for e in entities
                if ENTITY_ATTRIBUTE_START in e and ENTITY_ATTRIBUTE_END in e
            ]
            # Only what the tokenizer read: a pasted 100 KB message is bounded
            # here as it is for DIET.
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            limit = tokens[-1].end if tokens else None
            added = uncovered_matches(
                message.get(TEXT) or "", self._compiled, taken, limit
            )
            if added:
                entities.extend(self.add_extractor_name(added))
                message.set(ENTITIES, entities, add_to_output=True)
        return messages
