"""The action server's sentence encoder (ONNX Runtime) against torch's BERT."""

import numpy as np
import pytest
from rasa_hybrid.encoders.bert_onnx import mean_pool
from rasa_hybrid.llm.embeddings import SentenceEncoder

TEXTS = [
    "my dishwasher shows error C3, what does that mean?",
    "hi",
    "A price match can be requested before buying or within 14 days after delivery.",
]


def test_vectors_equal_torch_bert_mean_pooled():
    """transformers' torch BertModel on the same folder is the reference."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    encoder = SentenceEncoder()
    folder = str(encoder.folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.inference_mode():
        states = model(**batch).last_hidden_state.numpy()
    expected = mean_pool(states, batch["attention_mask"].numpy())
    got = encoder.encode(TEXTS)
    assert got.shape == (3, 384) and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    # Batched or alone, a text gets the same vector (padding is masked).
    assert np.allclose(encoder.encode(TEXTS[1:2])[0], got[1], atol=1e-5)


def test_mean_pool_ignores_padding_and_normalises():
    states = np.array([[[3.0, 4.0], [100.0, 100.0]], [[1.0, 0.0], [0.0, 1.0]]])
    pooled = mean_pool(states, np.array([[1, 0], [1, 1]]))
    assert pooled == pytest.approx(np.array([[0.6, 0.8], [0.5**0.5, 0.5**0.5]]))
    assert pooled.dtype == np.float32


def test_mean_pool_of_nothing_is_zero_not_nan():
    pooled = mean_pool(np.ones((1, 2, 3)), np.zeros((1, 2)))
    assert not pooled.any()


def test_the_model_loads_once_per_process_for_every_encoder(monkeypatch):
    import rasa_hybrid.llm.embeddings as embeddings

    built = []
    real = embeddings.OnnxBert

    def counting(*args, **kwargs):
        built.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(embeddings, "OnnxBert", counting)
    embeddings._load.cache_clear()
    first, second = SentenceEncoder(), SentenceEncoder()
    first.encode(TEXTS[:1])
    first.encode(TEXTS[1:2])
    second.encode(TEXTS[2:])
    assert len(built) == 1
    embeddings._load.cache_clear()  # later tests get the real model again
