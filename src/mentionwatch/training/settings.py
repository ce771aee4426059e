"""What a training run is told: data, output directory and hyperparameters.

``mentionwatch train`` fills ``TrainSettings`` from its arguments; every field
except ``data`` and ``out`` is recorded in the model's manifest.
"""

from __future__ import annotations

import dataclasses
import pathlib


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """One training run's inputs; the defaults are the shipped model's."""

    data: tuple[pathlib.Path, ...]
    out: pathlib.Path
    seed: int = 13
    epochs: int = 5
    batch_size: int = 32
    max_length: int = 128
    lora_r: int = 16
    lora_alpha: float = 32.0
    lora_dropout: float = 0.1
    lr: float = 8e-4
    head_lr: float = 4e-3
    warmup: float = 0.06
    label_smoothing: float = 0.05
    url_rate: float = 0.75
    eval_renders: int = 2
    threads: int = 2
    limit: int | None = None  # for smoke runs: at most this many templates per class
    model_id: str = "mentionwatch/e5-small-lora"
    base: str = "e5"  # a key of lora.BASES
