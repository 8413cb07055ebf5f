"""PatternEntityExtractor: matches where DIET found nothing (Rasa environment)."""

import re

from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.nlu.pattern_entities import (
    PatternEntityExtractor,
    patterns_for,
    uncovered_matches,
)

from tests.rasa_server.sparse_pipeline import SparsePipeline

ZIP = r"\b\d{5}(-\d{4})?\b"
ORDER = r"\b[A-Za-z][- ]?\d{4}\b"


def zip_entity(text, value):
    start = text.index(value)
    return {
        "entity": "zip_code",
        "start": start,
        "end": start + len(value),
        "value": value,
    }


def training_data():
    text = "my zip is 10001"
    examples = [
        Message.build(text=text, intent="inform", entities=[zip_entity(text, "10001")]),
        Message.build(text="track order A-1234", intent="track"),
    ]
    return TrainingData(
        examples,
        regex_features=[
            {"name": "zip_code", "pattern": ZIP},
            {"name": "order_number", "pattern": ORDER},  # a feature, no entity
        ],
    )


def test_by_default_only_regexes_named_after_an_annotated_entity_are_taken():
    assert patterns_for(training_data(), None) == [("zip_code", ZIP)]
    assert patterns_for(training_data(), ["order_number"]) == [("order_number", ORDER)]
    assert patterns_for(training_data(), []) == []


def test_matches_that_overlap_an_entity_already_found_are_left_alone():
    text = "zip 60614 or maybe 02139-4307"
    taken = [(4, 9)]  # DIET found 60614
    found = uncovered_matches(text, [("zip_code", re.compile(ZIP))], taken)
    assert found == [zip_entity(text, "02139-4307")]


def test_two_patterns_never_claim_the_same_characters():
    text = "order a 12345"
    patterns = [("order_number", re.compile(ORDER)), ("zip_code", re.compile(ZIP))]
    found = uncovered_matches(text, patterns, [])
    # "a 1234" is no order number: \b after 1234 fails inside 12345.
    assert [e["entity"] for e in found] == ["zip_code"]


class Trained(SparsePipeline):
    """Tokens, count vectors, and the extractor trained and loaded again."""

    def __init__(self, tmp_path, **options):
        super().__init__(tmp_path, "patterns")
        self.config = {**PatternEntityExtractor.get_default_config(), **options}
        self.resource = Resource("patterns")
        data = self.training_data(training_data().training_examples)
        data.regex_features = training_data().regex_features
        PatternEntityExtractor.create(
            self.config, self.storage, self.resource, self.context
        ).train(data)

    def entities(self, text, found_before=()):
        extractor = PatternEntityExtractor.load(
            self.config, self.storage, self.resource, self.context
        )
        [message] = self.messages(text)
        message.set(ENTITIES, list(found_before), add_to_output=True)
        extractor.process([message])
        return message.get(ENTITIES)


def test_a_zip_code_alone_is_an_entity_after_loading_the_model(tmp_path):
    trained = Trained(tmp_path)
    assert trained.entities("33333") == [
        {**zip_entity("33333", "33333"), "extractor": "PatternEntityExtractor"}
    ]


def test_an_entity_found_by_diet_is_not_added_twice(tmp_path):
    text = "my zip is 33333"
    diet = {**zip_entity(text, "33333"), "extractor": "EntityDIETClassifier"}
    assert Trained(tmp_path).entities(text, [diet]) == [diet]


def test_only_configured_patterns_are_extracted(tmp_path):
    trained = Trained(tmp_path, entities=["order_number"])
    found = trained.entities("order B-2345, zip 33333")
    assert [(e["entity"], e["value"]) for e in found] == [("order_number", "B-2345")]


def test_only_the_part_the_tokenizer_read_is_searched(tmp_path):
    trained = Trained(tmp_path)
    filler = "word " * 250  # past the tokenizer's 200 tokens
    assert trained.entities(f"{filler}33333") == []
    assert [e["value"] for e in trained.entities(f"33333 {filler}")] == ["33333"]


def test_a_model_without_stored_patterns_extracts_nothing(tmp_path):
    pipeline = SparsePipeline(tmp_path, "patterns")
    extractor = PatternEntityExtractor.load(
        PatternEntityExtractor.get_default_config(),
        pipeline.storage,
        Resource("never-trained"),
        pipeline.context,
    )
    [message] = pipeline.messages("33333")
    extractor.process([message])
    assert message.get(ENTITIES, []) == []


def test_a_pattern_can_ignore_case_with_an_inline_flag():
    pattern = re.compile(r"(?i)\b(washing machines?|washers?|dishwashers?)\b")
    text = "why does my Washing Machine rattle? the dishwasher is fine"
    found = uncovered_matches(text, [("appliance", pattern)], [])
    assert [e["value"] for e in found] == ["Washing Machine", "dishwasher"]
