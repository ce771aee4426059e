"""What the classifier's modules share: the load error, the cache folder, softmax.

Kept apart so the loader (``model``), the runtimes (``encoder``, ``fast``),
the adapter and the encoder conversion (``e5``) depend on it and never on
each other in a circle.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np


class ModelLoadError(RuntimeError):
    """The configured model cannot be loaded; the message says why and what to do."""


def cache_root() -> pathlib.Path:
    """Where built models are cached: ``$MENTIONWATCH_CACHE_DIR`` or ``~/.cache/mentionwatch``."""
    configured = os.environ.get("MENTIONWATCH_CACHE_DIR")
    return (
        pathlib.Path(configured).expanduser()
        if configured
        else pathlib.Path.home() / ".cache" / "mentionwatch"
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)
