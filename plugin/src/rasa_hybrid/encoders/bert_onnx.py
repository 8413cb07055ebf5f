"""A BERT encoder (all-MiniLM-L6-v2) run by ONNX Runtime, from its safetensors.

Both servers used to run the encoder in a deep-learning framework: the NLU
server in TensorFlow, the action server in torch. For the short texts of a
chat, most of that time was per-call overhead, not arithmetic (TensorFlow:
~9 ms for "hi", 3 word pieces; torch on 2 threads: ~19 ms of CPU for a
16-piece question). ONNX Runtime runs the same weights with the same float32
arithmetic in ~3 and ~5 ms, on one thread.

``encoder_graph`` is pure: it takes the weights as NumPy arrays, named as in a
Hugging Face ``BertModel`` checkpoint (``model.safetensors``), and returns the
graph. Its inputs:

* ``input_ids`` (int64, batch × length): word-piece ids;
* ``position_ids`` (int64, length): 0, 1, 2, …;
* ``mask_bias`` (float32, batch × 1 × 1 × length): 0 where a piece is real,
  a large negative number where it is padding (``mask_bias`` below).

Its output ``hidden`` (float32, batch × length × hidden size) is the last
layer's hidden states, the same as ``BertModel(...)[0]``. ``OnnxBert`` loads a
model folder into a session and runs it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17  # the first with LayerNormalization


@dataclass(frozen=True)
class BertShape:
    """The sizes a BERT encoder's graph needs, from its ``config.json``."""

    layers: int
    heads: int
    hidden: int
    layer_norm_eps: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BertShape:
        """Reads a Hugging Face BERT config; refuses what the graph cannot run."""
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"Only GELU is supported, not {config['hidden_act']!r}.")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError("Only absolute position embeddings are supported.")
        shape = cls(
            layers=int(config["num_hidden_layers"]),
            heads=int(config["num_attention_heads"]),
            hidden=int(config["hidden_size"]),
            layer_norm_eps=float(config.get("layer_norm_eps", 1e-12)),
        )
        if shape.hidden % shape.heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads.")
        return shape


def mask_bias(attention_mask: np.ndarray) -> np.ndarray:
    """The graph's ``mask_bias`` input for a batch × length mask of 1s and 0s."""
    padding = 1.0 - attention_mask.astype(np.float32)
    return (padding * np.finfo(np.float32).min)[:, None, None, :]


def mean_pool(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Unit-length means of each row's real (unpadded) states, float32.

    batch × length × dim states and a batch × length mask of 1s and 0s give
    batch × dim: the sentence vector the model was trained to compare. A row
    with no real state gets zeros.
    """
    pooled = np.zeros((len(states), states.shape[-1]), dtype=np.float32)
    for row, (row_states, row_mask) in enumerate(zip(states, mask, strict=True)):
        live = row_mask.astype(bool)
        if live.any():
            mean = row_states[live].mean(axis=0)
            pooled[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return pooled


class _Builder:
    """Collects nodes and constants; every node gets a unique name and output."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.constants: list[Any] = []

    def const(self, name: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        self.constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        from onnx import helper

        # ONNX Runtime's optimiser needs node names, and unique ones.
        out = f"{op_type}_{len(self.nodes)}"
        self.nodes.append(
            helper.make_node(op_type, list(inputs), [out], name=out, **attributes)
        )
        return out

    def linear(self, x: str, weights: Mapping[str, np.ndarray], name: str) -> str:
        """The dense layer ``name`` (torch layout) applied to ``x``: x · Wᵀ + b."""
        kernel = np.ascontiguousarray(weights[f"{name}.weight"].T)
        product = self.op("MatMul", x, self.const(f"{name}.kernel", kernel))
        return self.op(
            "Add", product, self.const(f"{name}.bias", weights[f"{name}.bias"])
        )

    def layer_norm(
        self, x: str, weights: Mapping[str, np.ndarray], name: str, eps: float
    ) -> str:
        scale = self.const(f"{name}.weight", weights[f"{name}.weight"])
        shift = self.const(f"{name}.bias", weights[f"{name}.bias"])
        return self.op("LayerNormalization", x, scale, shift, axis=-1, epsilon=eps)


def encoder_graph(weights: Mapping[str, np.ndarray], shape: BertShape) -> Any:
    """The ONNX model (``onnx.ModelProto``) of a BERT encoder's forward pass."""
    from onnx import TensorProto, helper

    g = _Builder()
    eps = shape.layer_norm_eps
    head_size = shape.hidden // shape.heads
    words = g.op(
        "Gather",
        g.const("word_embeddings", weights["embeddings.word_embeddings.weight"]),
        "input_ids",
    )
    # Every token is of type 0: its embedding is a constant row.
    token_type = weights["embeddings.token_type_embeddings.weight"][0]
    words = g.op("Add", words, g.const("token_type_0", token_type))
    positions = g.op(
        "Gather",
        g.const(
            "position_embeddings", weights["embeddings.position_embeddings.weight"]
        ),
        "position_ids",
    )
    x = g.layer_norm(
        g.op("Add", words, positions), weights, "embeddings.LayerNorm", eps
    )

    split_heads = g.const(
        "split_heads", np.array([0, 0, 3, shape.heads, head_size], np.int64)
    )
    join_heads = g.const("join_heads", np.array([0, 0, shape.hidden], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(head_size), np.float32))
    half = g.const("half", np.array(0.5, np.float32))
    one = g.const("one", np.array(1.0, np.float32))
    inv_sqrt2 = g.const("inv_sqrt2", np.array(1.0 / np.sqrt(2.0), np.float32))
    picks = [g.const(f"pick_{i}", np.array(i, np.int64)) for i in range(3)]

    for layer in range(shape.layers):
        prefix = f"encoder.layer.{layer}"
        attention = f"{prefix}.attention.self"
        # Query, key and value in one product.
        fused = {
            f"{prefix}.qkv.{part}": np.concatenate(
                [weights[f"{attention}.{n}.{part}"] for n in ("query", "key", "value")]
            )
            for part in ("weight", "bias")
        }
        qkv = g.op(
            "Transpose",
            g.op("Reshape", g.linear(x, fused, f"{prefix}.qkv"), split_heads),
            perm=[2, 0, 3, 1, 4],
        )  # 3 × batch × heads × length × head size
        query, key, value = (g.op("Gather", qkv, pick, axis=0) for pick in picks)
        scores = g.op("MatMul", query, g.op("Transpose", key, perm=[0, 1, 3, 2]))
        scores = g.op("Add", g.op("Mul", scores, scale), "mask_bias")
        attended = g.op("MatMul", g.op("Softmax", scores, axis=-1), value)
        attended = g.op(
            "Reshape", g.op("Transpose", attended, perm=[0, 2, 1, 3]), join_heads
        )
        attended = g.linear(attended, weights, f"{prefix}.attention.output.dense")
        x = g.layer_norm(
            g.op("Add", x, attended),
            weights,
            f"{prefix}.attention.output.LayerNorm",
            eps,
        )
        inner = g.linear(x, weights, f"{prefix}.intermediate.dense")
        # GELU, exact: x · ½ · (1 + erf(x / √2)).
        gelu = g.op(
            "Mul",
            g.op("Mul", inner, half),
            g.op("Add", g.op("Erf", g.op("Mul", inner, inv_sqrt2)), one),
        )
        out = g.linear(gelu, weights, f"{prefix}.output.dense")
        x = g.layer_norm(
            g.op("Add", x, out), weights, f"{prefix}.output.LayerNorm", eps
        )

    g.nodes.append(helper.make_node("Identity", [x], ["hidden"], name="hidden"))
    graph = helper.make_graph(
        g.nodes,
        "bert_encoder",
        [
            helper.make_tensor_value_info(
                "input_ids", TensorProto.INT64, ["batch", "length"]
            ),
            helper.make_tensor_value_info(
                "position_ids", TensorProto.INT64, ["length"]
            ),
            helper.make_tensor_value_info(
                "mask_bias", TensorProto.FLOAT, ["batch", 1, 1, "length"]
            ),
        ],
        [
            helper.make_tensor_value_info(
                "hidden", TensorProto.FLOAT, ["batch", "length", shape.hidden]
            )
        ],
        g.constants,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def session_options(threads: int | None = None) -> Any:
    """ONNX Runtime's options: ``threads`` threads, else ``OMP_NUM_THREADS``.

    The servers run with one thread (the Makefile's ``ONE_THREAD``): they serve
    many conversations at once, and a second thread would mostly wait. With
    neither set, ONNX Runtime uses every core, which is what training wants.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads is None:
        given = os.environ.get("OMP_NUM_THREADS", "")
        threads = int(given) if given.isdigit() else 0
    if threads > 0:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle threads sleep instead of spinning: the cores are shared.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


class OnnxBert:
    """A BERT model folder (``config.json``, ``model.safetensors``) in ONNX Runtime."""

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        """Reads the weights and builds the session (~1 s); nothing is downloaded."""
        import onnxruntime
        from safetensors.numpy import load_file

        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.shape = BertShape.from_config(config)
        graph = encoder_graph(load_file(str(folder / "model.safetensors")), self.shape)
        self._session = onnxruntime.InferenceSession(
            graph.SerializeToString(),
            session_options(threads),
            providers=["CPUExecutionProvider"],
        )

    @property
    def dim(self) -> int:
        """The size of a hidden state."""
        return self.shape.hidden

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The last layer's states (batch × length × dim) for word-piece ids."""
        inputs = {
            "input_ids": ids.astype(np.int64),
            "position_ids": np.arange(ids.shape[1], dtype=np.int64),
            "mask_bias": mask_bias(mask),
        }
        return self._session.run(["hidden"], inputs)[0]
