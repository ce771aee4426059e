"""Low-rank adapters (LoRA) merged into the encoder at load time.

The shipped model stays small by committing only low-rank weight updates for
some linear layers of the pinned base encoder. The adapter file is a
safetensors file with, for each adapted layer ``L`` (a dotted module name in
the encoder, e.g. ``encoder.layer.0.attention.self.query``):

* ``L.lora_A``: shape ``(r, in_features)``
* ``L.lora_B``: shape ``(out_features, r)``
* ``L.scale``: a one-element array, ``alpha / r``

and, optionally, full replacement tensors named ``full:<parameter name>`` for
small parameters trained directly (LayerNorm weights and biases).

Merging (``W += scale * B @ A``) happens once, so inference costs exactly
what the base model costs.
"""

from __future__ import annotations

import pathlib
from collections.abc import Mapping

import numpy as np


def merge_into(encoder, tensors: Mapping[str, np.ndarray]) -> int:
    """Merges adapter ``tensors`` into ``encoder`` in place; returns layers changed."""
    import torch

    modules = dict(encoder.named_modules())
    params = dict(encoder.named_parameters())
    changed = 0
    with torch.no_grad():
        for key, value in tensors.items():
            if key.startswith("full:"):
                name = key.removeprefix("full:")
                if name not in params:
                    raise ValueError(f"adapter replaces unknown parameter {name!r}")
                target = params[name]
                if tuple(target.shape) != tuple(value.shape):
                    raise ValueError(
                        f"adapter tensor {name!r} has shape {value.shape}, "
                        f"expected {tuple(target.shape)}"
                    )
                target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
                changed += 1
            elif key.endswith(".lora_A"):
                layer = key.removesuffix(".lora_A")
                module = modules.get(layer)
                if module is None or not hasattr(module, "weight"):
                    raise ValueError(f"adapter targets unknown layer {layer!r}")
                a = torch.from_numpy(np.ascontiguousarray(value))
                b = torch.from_numpy(np.ascontiguousarray(tensors[f"{layer}.lora_B"]))
                scale = float(np.asarray(tensors[f"{layer}.scale"]).reshape(-1)[0])
                module.weight += scale * (b @ a).to(module.weight.dtype)
                changed += 1
    return changed


def apply_adapter(encoder, path: pathlib.Path) -> int:
    """Loads an adapter file and merges it into ``encoder``."""
    from safetensors.numpy import load_file

    from mentionwatch.classify.common import ModelLoadError

    try:
        tensors = load_file(str(path))
    except FileNotFoundError:
        raise ModelLoadError(f"adapter weights {path} are missing") from None
    try:
        return merge_into(encoder, tensors)
    except (KeyError, ValueError) as exc:
        raise ModelLoadError(f"adapter {path} does not fit the encoder: {exc}") from None
