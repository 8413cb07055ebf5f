"""EntityDIETClassifier: entities only, and no crash without any (Rasa environment)."""

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.bounded_tokenizer import BoundedWhitespaceTokenizer
from components.entity_diet import EntityDIETClassifier, has_entities


def train_and_parse(tmp_path, examples, text, **options):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(graph_schema=None, node_name="diet")
    tokenizer = BoundedWhitespaceTokenizer(
        BoundedWhitespaceTokenizer.get_default_config()
    )
    featurizer = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("cv"), context
    )
    data = TrainingData(examples)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    config = {**EntityDIETClassifier.get_default_config(), "epochs": 40, **options}
    resource = Resource("diet")
    EntityDIETClassifier.create(config, storage, resource, context).train(data)
    diet = EntityDIETClassifier.load(config, storage, resource, context)
    message = Message.build(text=text)
    tokenizer.process([message])
    featurizer.process([message])
    diet.process([message])
    return message


def test_without_entity_annotations_it_trains_nothing_and_extracts_nothing(tmp_path):
    examples = [
        Message.build(text=t, intent=i)
        for t, i in [("hi", "greet"), ("hello", "greet"), ("bye", "bye")]
    ]
    assert not has_entities(TrainingData(examples))
    message = train_and_parse(tmp_path, examples, "hello")
    assert message.get("entities", []) == []
    assert message.get("intent") is None  # intents are not its job


def test_with_annotations_it_finds_entities_and_leaves_intents_alone(tmp_path):
    appliances = ["washer", "dryer", "fridge", "oven", "dishwasher"]
    examples = []
    for word in appliances:
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
    message = train_and_parse(tmp_path, examples, "my oven is broken")
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [
        ("appliance", "oven")
    ]
    assert message.get("intent") is None


def test_examples_of_skipped_intents_are_not_trained_on(tmp_path, caplog):
    caplog.set_level("INFO")
    word = "oven"
    annotated = [
        Message.build(
            text=f"fix my {word} {n}",
            intent="book",
            entities=[{"start": 7, "end": 11, "value": word, "entity": "appliance"}],
        )
        for n in range(10)
    ]
    # The same words without annotation, as attack examples carry them.
    attacks = [
        Message.build(text=f"fix my {word} {n}", intent="attack") for n in range(30)
    ]
    message = train_and_parse(
        tmp_path, annotated + attacks, "fix my oven 3", skip_intents=["attack"]
    )
    assert "trains on 10 of 40 examples" in caplog.text
    assert [e["value"] for e in message.get("entities")] == ["oven"]
