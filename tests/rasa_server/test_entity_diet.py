"""EntityDIETClassifier: entities only, and no crash without any (Rasa environment)."""

import logging

import pytest
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIET
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.nlu.entity_diet import EntityDIETClassifier, has_entities

from tests.rasa_server.sparse_pipeline import SparsePipeline


class Trained(SparsePipeline):
    """Count vectors and an EntityDIETClassifier trained on examples."""

    def __init__(self, tmp_path, examples, **options):
        super().__init__(tmp_path, "diet")
        data = self.training_data(examples)
        self.config = {
            **EntityDIETClassifier.get_default_config(),
            "epochs": 40,
            # As config.yml: DIET's default draws a new seed each time, and on
            # 15 examples an unseen token ("3") was now and then tagged too.
            "random_seed": 42,
            **options,
        }
        self.resource = Resource("diet")
        EntityDIETClassifier.create(
            self.config, self.storage, self.resource, self.context
        ).train(data)

    def load(self):
        return EntityDIETClassifier.load(
            self.config, self.storage, self.resource, self.context
        )

    def parse(self, diet, text):
        [message] = self.messages(text)
        diet.process([message])
        return message


def train_and_parse(tmp_path, examples, text, **options):
    trained = Trained(tmp_path, examples, **options)
    return trained.parse(trained.load(), text)


def appliance_examples():
    examples = []
    for word in ["washer", "dryer", "fridge", "oven", "dishwasher"]:
        for template in ("fix my {}", "my {} is broken", "book a repair for my {}"):
            text = template.format(word)
            start = text.index(word)
            entity = {
                "start": start,
                "end": start + len(word),
                "value": word,
                "entity": "appliance",
            }
            examples.append(Message.build(text=text, intent="book", entities=[entity]))
    return examples


def test_without_entity_annotations_it_trains_nothing_and_extracts_nothing(tmp_path):
    examples = [
        Message.build(text=t, intent=i)
        for t, i in [("hi", "greet"), ("hello", "greet"), ("bye", "bye")]
    ]
    assert not has_entities(TrainingData(examples))
    message = train_and_parse(tmp_path, examples, "hello")
    assert message.get("entities", []) == []
    assert message.get("intent") is None  # intents are not its job


def attack_examples():
    """The appliance words unannotated, as attack examples carry them."""
    return [
        Message.build(text=f"fix my {word} {n}", intent="attack")
        for word in ["oven", "washer", "fridge"]
        for n in range(10)
    ]


@pytest.fixture(scope="module")
def appliances(tmp_path_factory):
    """One DIET trained on appliance and attack examples, the attacks skipped.

    Trained once for the tests that only read it; ``log`` keeps what the
    training logged.
    """
    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logger = logging.getLogger("rasa_hybrid.nlu.entity_diet")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        trained = Trained(
            tmp_path_factory.mktemp("appliances"),
            appliance_examples() + attack_examples(),
            skip_intents=["attack"],
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    trained.log = "\n".join(records)
    return trained


def test_with_annotations_it_finds_entities_and_leaves_intents_alone(appliances):
    message = appliances.parse(appliances.load(), "my oven is broken")
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("appliance", "oven")
    ]
    assert message.get("intent") is None


def test_loading_for_prediction_skips_the_training_step_and_predicts_the_same(
    appliances, monkeypatch
):
    trained = appliances
    texts = ["my oven is broken", "fix my dryer", "the fridge and the washer", "hi"]
    fits = []
    original_fit = DIET.fit
    monkeypatch.setattr(
        DIET, "fit", lambda self, *a, **k: fits.append(1) or original_fit(self, *a, **k)
    )

    def entities(diet):
        return [
            [
                (e["entity"], e["value"], e["start"], e["confidence_entity"])
                for e in trained.parse(diet, text).get("entities", [])
            ]
            for text in texts
        ]

    fast = entities(trained.load())
    assert fits == []
    # Rasa's own loading: one training step builds the weights.
    monkeypatch.setattr(EntityDIETClassifier, "model_class", staticmethod(lambda: DIET))
    stock = entities(trained.load())
    assert fits == [1]
    assert fast == stock
    assert fast[0][0][:3] == ("appliance", "oven", 3)


def test_examples_of_skipped_intents_are_not_trained_on(appliances):
    assert "trains on 15 of 45 examples" in appliances.log
    # Trained on, the unannotated attacks would teach it these are no entities.
    message = appliances.parse(appliances.load(), "fix my oven 3")
    assert [e["value"] for e in message.get("entities")] == ["oven"]
