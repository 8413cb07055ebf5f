"""The lean decoder computes what transformers computes, on the real model."""

from types import SimpleNamespace

import pytest
import torch

from rasa_hybrid.providers.lean_llama import (
    LeanLlama,
    UnsupportedModel,
    check_supported,
)
from rasa_hybrid.providers.local_transformers import (
    REPETITION_PENALTY,
    stop_token_ids,
)

QUESTIONS = [
    "How do I clean the filter of my dishwasher?",
    "My fridge is not cooling enough, what can I check?",
]


def prompt_ids(tokenizer, question):
    messages = [
        {"role": "system", "content": "You are a helpful appliance store assistant."},
        {"role": "user", "content": question},
    ]
    return tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True
    )["input_ids"]


def transformers_tokens(model, ids, new_tokens):
    with torch.inference_mode():
        output = model.generate(
            input_ids=torch.tensor([ids]),
            attention_mask=torch.ones(1, len(ids), dtype=torch.long),
            max_new_tokens=new_tokens,
            min_new_tokens=new_tokens,
            do_sample=False,
            repetition_penalty=REPETITION_PENALTY,
        )
    return output[0, len(ids) :].tolist()


@pytest.mark.parametrize("question", QUESTIONS)
def test_fp32_lean_decoding_picks_the_same_tokens_as_transformers(
    smollm2_fp32, question
):
    tokenizer, model = smollm2_fp32
    ids = prompt_ids(tokenizer, question)
    expected = transformers_tokens(model, ids, 32)
    lean = LeanLlama(model, "none")
    got = lean.generate(
        ids,
        32,
        stop_ids=stop_token_ids(tokenizer),
        repetition_penalty=REPETITION_PENALTY,
        min_new_tokens=32,
    )
    assert got == expected


def test_int8_agrees_with_fp32_token_by_token(smollm2_fp32):
    tokenizer, model = smollm2_fp32
    fp32, int8 = LeanLlama(model, "none"), LeanLlama(model, "int8")
    same = total = 0
    for question in QUESTIONS:
        ids = prompt_ids(tokenizer, question)
        reference = fp32.generate(ids, 32, min_new_tokens=32, stop_ids=[0, 1, 2])
        sequence = torch.tensor(ids + reference)
        with torch.inference_mode():
            logits = int8.forward(
                sequence, int8.new_cache(len(sequence)), 0, every=True
            )
        predicted = logits[len(ids) - 1 : -1].argmax(-1).tolist()
        same += sum(a == b for a, b in zip(predicted, reference, strict=True))
        total += len(reference)
    assert same / total >= 0.95


def test_stops_at_the_end_of_turn_and_when_told(smollm2_fp32):
    tokenizer, model = smollm2_fp32
    lean = LeanLlama(model, "int8")
    ids = prompt_ids(tokenizer, "Say hello.")
    tokens = lean.generate(ids, 200, stop_ids=stop_token_ids(tokenizer))
    assert 0 < len(tokens) < 200
    assert not set(tokens) & set(stop_token_ids(tokenizer))
    calls = []
    assert len(lean.generate(ids, 50, should_stop=lambda: calls.append(1) or True)) == 1


def test_a_prompt_beyond_the_context_is_refused(smollm2_fp32):
    lean = LeanLlama(smollm2_fp32[1], "int8", max_positions=64)
    with pytest.raises(ValueError, match="exceed"):
        lean.generate(list(range(60)), 10)


@pytest.mark.parametrize(
    "changes",
    [
        {"model_type": "mistral"},
        {"rope_parameters": {"rope_type": "llama3", "rope_theta": 1.0}},
        {"attention_bias": True},
        {"hidden_act": "gelu"},
    ],
)
def test_other_architectures_are_refused(changes):
    config = SimpleNamespace(
        model_type="llama",
        rope_parameters={"rope_type": "default", "rope_theta": 1e5},
        attention_bias=False,
        mlp_bias=False,
        hidden_act="silu",
    )
    for key, value in changes.items():
        setattr(config, key, value)
    with pytest.raises(UnsupportedModel):
        check_supported(config)
