"""The ONNX graph of the MiniLM encoder against TensorFlow's BERT (Rasa environment)."""

import json

import numpy as np
import pytest
from rasa_hybrid.encoders.bert_onnx import BertShape, mask_bias
from rasa_hybrid.encoders.location import encoder_folder as model_folder
from rasa_hybrid.nlu.minilm_featurizer import encoder

TEXTS = [
    ["hi"],
    ["where", "is", "my", "order", "A-1234?"],
    ["my", "dishwasher", "shows", "error", "C3,", "what", "does", "that", "mean?"],
]


@pytest.fixture(scope="module")
def pieces():
    tokenizer = encoder(str(model_folder())).tokenizer
    return tokenizer(TEXTS, is_split_into_words=True, padding=True, return_tensors="np")


def test_hidden_states_equal_tensorflow_bert(pieces):
    """Same weights, same arithmetic: Hugging Face's TFBertModel is the reference."""
    from transformers import TFBertModel

    reference = TFBertModel.from_pretrained(str(model_folder()), local_files_only=True)
    ids, mask = pieces["input_ids"], pieces["attention_mask"]
    expected = reference(input_ids=ids, attention_mask=mask, training=False)[0].numpy()
    got = encoder(str(model_folder())).model.hidden_states(ids, mask)
    assert got.shape == expected.shape == (3, ids.shape[1], 384)
    real = mask.astype(bool)  # padding positions carry no meaning in either
    assert np.abs(got[real] - expected[real]).max() < 1e-4
    # The batch is padded: the short texts must not see the padding.
    alone = encoder(str(model_folder())).model.hidden_states(ids[:1, :3], mask[:1, :3])
    assert np.allclose(alone[0], got[0, :3], atol=1e-4)


def test_the_shape_comes_from_the_packaged_config():
    config = json.loads((model_folder() / "config.json").read_text())
    assert BertShape.from_config(config) == BertShape(
        layers=6, heads=12, hidden=384, layer_norm_eps=1e-12
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hidden_act": "relu"}, "GELU"),
        ({"position_embedding_type": "relative_key"}, "absolute"),
        ({"num_attention_heads": 7}, "multiple"),
    ],
)
def test_configs_the_graph_cannot_run_are_refused(change, message):
    config = {"num_hidden_layers": 2, "num_attention_heads": 4, "hidden_size": 8}
    with pytest.raises(ValueError, match=message):
        BertShape.from_config({**config, **change})


def test_the_mask_bias_hides_padding_only():
    bias = mask_bias(np.array([[1, 1, 0], [1, 1, 1]]))
    assert bias.shape == (2, 1, 1, 3) and bias.dtype == np.float32
    assert bias[0, 0, 0, :2].tolist() == [0.0, 0.0]
    assert bias[0, 0, 0, 2] < -1e30
    assert not bias[1].any()
