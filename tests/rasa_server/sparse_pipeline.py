"""Tokens and count vectors for component tests, trained in a model storage."""

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa_hybrid.nlu.bounded_tokenizer import BoundedWhitespaceTokenizer


class SparsePipeline:
    """A tokenizer and count vectors; the component under test comes after them."""

    def __init__(self, tmp_path, node_name: str) -> None:
        self.storage = LocalModelStorage(tmp_path)
        self.context = ExecutionContext(graph_schema=None, node_name=node_name)
        self.tokenizer = BoundedWhitespaceTokenizer(
            BoundedWhitespaceTokenizer.get_default_config()
        )
        self.featurizer = CountVectorsFeaturizer.create(
            CountVectorsFeaturizer.get_default_config(),
            self.storage,
            Resource("cv"),
            self.context,
        )

    def training_data(self, examples: list[Message]) -> TrainingData:
        """The examples tokenized and featurized, the featurizer trained on them."""
        data = TrainingData(examples)
        self.tokenizer.process_training_data(data)
        self.featurizer.train(data)
        self.featurizer.process_training_data(data)
        return data

    def messages(self, *texts: str) -> list[Message]:
        """New messages, tokenized and featurized."""
        messages = [Message.build(text=text) for text in texts]
        self.tokenizer.process(messages)
        self.featurizer.process(messages)
        return messages
