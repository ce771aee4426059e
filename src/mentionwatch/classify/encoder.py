"""The reference runtime: the transformers encoder in torch fp32, with the model's adapter merged.

``classify.fast`` builds its int8 model from this encoder and verifies against it.
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Any

import numpy as np

from mentionwatch.classify.common import ModelLoadError

if TYPE_CHECKING:
    from mentionwatch.classify.model import Manifest


class TorchEncoder:
    """The reference runtime: the transformers encoder in fp32, mean-pooled and L2-normalised."""

    name = "torch"

    def __init__(self, encoder: Any):
        self.encoder = encoder
        self.hidden_size = encoder.config.hidden_size

    def pooled(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One L2-normalised mean-pooled vector per row of padded ids (mask 0 at padding)."""
        import torch

        with torch.inference_mode():
            ids = torch.from_numpy(input_ids)
            attention = torch.from_numpy(mask)
            hidden = self.encoder(input_ids=ids, attention_mask=attention).last_hidden_state
            weights = attention.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * weights).sum(dim=1)
            pooled = summed / weights.sum(dim=1).clamp(min=1)
            return torch.nn.functional.normalize(pooled, dim=1).numpy()


def load_encoder(
    encoder_path: str,
    model_dir: pathlib.Path,
    manifest: Manifest,
    *,
    attn_implementation: str | None = None,
):
    """The transformers encoder with the model's adapter merged, in eval mode."""
    import transformers
    from transformers import AutoModel

    transformers.utils.logging.disable_progress_bar()
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    try:
        encoder = AutoModel.from_pretrained(encoder_path, local_files_only=True, **kwargs)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            f"cannot load encoder {encoder_path!r} offline: {exc}. Use a local directory, "
            "or download the model once into the Hugging Face cache before running"
        ) from None
    if manifest.adapter:
        from mentionwatch.classify.adapter import apply_adapter

        apply_adapter(encoder, model_dir / manifest.adapter)
    return encoder.eval()
