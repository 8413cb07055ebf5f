"""Make the local model smaller and faster on the CPU, in place.

Modes (``LLM_LOCAL_QUANTIZE``):

- ``int8``: weight-only int8, one scale per output channel, activations in
  bfloat16 (``torch.ops.aten._weight_int8pack_mm``). Output stays close to
  fp32; the default.
- ``int4``: weight-only 4-bit in groups of 32, asymmetric: the grid of the
  packaged GGUF's Q4_1 weights, so its output tracks llama.cpp's.
- ``int8-dynamic``: ``torch.ao.quantization.quantize_dynamic`` (int8 weights
  and per-batch int8 activations, fp32 elsewhere). Fast, but activations
  quantized per tensor hurt a model this small: kept for comparison.
- ``none``: fp32 as loaded.

``make bench-llm`` measures speed and agreement with fp32 for each mode.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

MODES = ("int8", "int4", "int8-dynamic", "none")
INT4_GROUP = 32
# Above this many rows, int8 layers expand their weights for a dense product.
PREFILL_ROWS = 16


def _linear_layers(module: Any) -> list[tuple[Any, str, Any]]:
    import torch

    found = []
    for parent in module.modules():
        for name, child in parent.named_children():
            if isinstance(child, torch.nn.Linear):
                found.append((parent, name, child))
    return found


@functools.cache
def _int8_weight_only_class() -> type:
    import torch

    class Int8WeightOnlyLinear(torch.nn.Module):
        """A bias-free linear layer with int8 weights and a scale per row."""

        weight_int8: torch.Tensor
        scale: torch.Tensor

        def __init__(self, linear: torch.nn.Linear) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            scale = weight.abs().amax(dim=1).clamp(min=1e-8) / 127
            quantized = torch.round(weight / scale[:, None]).clamp(-127, 127)
            self.register_buffer("weight_int8", quantized.to(torch.int8).contiguous())
            self.register_buffer("scale", scale.to(torch.bfloat16).contiguous())
            self.bias = linear.bias
            self.out_features = weight.shape[0]

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            flat = x.reshape(-1, x.shape[-1])
            if flat.shape[0] > PREFILL_ROWS:
                # Many rows (a prompt): a dense product on weights expanded
                # for this call beats the int8 kernel, which is made for one.
                weight = self.weight_int8.to(x.dtype) * self.scale.to(x.dtype)[:, None]
                y = torch.nn.functional.linear(flat, weight)
            else:
                y = torch.ops.aten._weight_int8pack_mm(
                    flat.to(torch.bfloat16), self.weight_int8, self.scale
                )
            if self.bias is not None:
                y = y + self.bias.to(y.dtype)
            return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    return Int8WeightOnlyLinear


@functools.cache
def _int4_weight_only_class() -> type:
    import torch

    class Int4WeightOnlyLinear(torch.nn.Module):
        """A linear layer with 4-bit weights: w = (q - 8) * scale + zero per group."""

        def __init__(self, linear: torch.nn.Linear) -> None:
            super().__init__()
            weight = linear.weight.detach().float()
            rows, columns = weight.shape
            groups = weight.reshape(rows, columns // INT4_GROUP, INT4_GROUP)
            low = groups.amin(-1, keepdim=True)
            scale = ((groups.amax(-1, keepdim=True) - low) / 15).clamp(min=1e-8)
            codes = torch.round((groups - low) / scale).clamp(0, 15).to(torch.int32)
            zero = low + 8 * scale
            self.register_buffer(
                "packed",
                torch.ops.aten._convert_weight_to_int4pack_for_cpu(
                    codes.reshape(rows, columns), 1
                ),
            )
            scales_zeros = torch.stack([scale.squeeze(-1), zero.squeeze(-1)], dim=-1)
            self.register_buffer(
                "scales_zeros",
                scales_zeros.transpose(0, 1).contiguous().to(torch.bfloat16),
            )
            self.bias = linear.bias
            self.out_features = rows

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            flat = x.reshape(-1, x.shape[-1]).to(torch.bfloat16)
            y = torch.ops.aten._weight_int4pack_mm_for_cpu(
                flat, self.packed, INT4_GROUP, self.scales_zeros
            )
            if self.bias is not None:
                y = y + self.bias.to(y.dtype)
            return y.reshape(*x.shape[:-1], self.out_features).to(x.dtype)

    return Int4WeightOnlyLinear


def quantized_linear(linear: Any, mode: str) -> Any:
    """One linear layer in ``mode``: a module computing the same product.

    Raises:
        ValueError: an unknown mode.
    """
    import torch

    if mode not in MODES:
        raise ValueError(f"unknown quantization {mode!r}; choose one of {MODES}")
    if mode == "none":
        return linear
    if mode == "int8-dynamic":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the eager API's migration notice
            wrapped = torch.ao.quantization.quantize_dynamic(
                torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8
            )
        return wrapped[0]
    if mode == "int4" and linear.in_features % INT4_GROUP == 0:
        return _int4_weight_only_class()(linear)
    return _int8_weight_only_class()(linear)


def quantize_model(model: Any, mode: str) -> Any:
    """The transformers model in ``mode``; modifies it in place.

    Raises:
        ValueError: an unknown mode.
    """
    import torch

    if mode not in MODES:
        raise ValueError(f"unknown quantization {mode!r}; choose one of {MODES}")
    if mode == "none":
        return model
    if mode == "int8-dynamic":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return torch.ao.quantization.quantize_dynamic(
                model, {torch.nn.Linear}, dtype=torch.qint8
            )
    model.to(torch.bfloat16)
    for parent, name, linear in _linear_layers(model):
        setattr(parent, name, quantized_linear(linear, mode))
    return model
