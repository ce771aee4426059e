"""The fast path: the same model as per-channel int8 ONNX Runtime, built offline and cached.

Two CPU cores reach about 105 sentences/s at 64 tokens in torch fp32, below
the 150/s the product needs; ONNX Runtime with fused attention and dynamic
int8 weights (per output channel) reaches about 170/s with the same labels.
Nothing is downloaded: the int8 model is built on first use from the pinned
base encoder with the model's adapter merged:

1. load the encoder (eager attention, so ONNX Runtime can fuse it), merge the
   adapter, export encoder + mean pooling + L2 norm to ONNX (opset 17);
2. fuse (``onnxruntime.transformers.optimizer``: Attention, SkipLayerNorm,
   BiasGelu) and quantize weights per channel to int8 with ``reduce_range``
   (7-bit weights: without AVX-VNNI the u8×s8 kernels saturate otherwise),
   the word embeddings too (two thirds of the weights: the file shrinks from
   428 to 132 MB and a loaded classifier from about 1.45 GB to 0.6 GB, torch not imported); the
   feed-forward output projections stay fp32 (their inputs carry outliers);
3. **verify** against torch fp32 on fixed probe texts: the embeddings'
   cosine must average ≥ ``MEAN_COSINE`` with none below ``MIN_COSINE``, and
   at least ``SAME_CLASS`` of the probes must get the same top class, or the
   build is rejected (``auto`` then falls back to torch);
4. store it under ``$MENTIONWATCH_CACHE_DIR`` (default
   ``~/.cache/mentionwatch``)/``onnx/<key>/``, where the key hashes the
   manifest, head, adapter, base weights' hash and the onnxruntime/torch
   versions. A new model or a new runtime version builds a new file; the
   directory appears atomically, so parallel workers never read half a file.

Loading checks the cached file's SHA-256 against the one recorded when it
was verified.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pathlib
import re
import shutil
import tempfile
from typing import Any

import numpy as np

from mentionwatch.classify.common import cache_root, softmax
from mentionwatch.ids import sha256_file

_log = logging.getLogger(__name__)

FAST_FORMAT = "mentionwatch-int8/3"
_FFN_OUTPUT = re.compile(r"layer\.\d+/output/dense/MatMul")
MIN_COSINE = 0.95
MEAN_COSINE = 0.98
SAME_CLASS = 0.9
PROBES = (
    "Dana Reyes, I know where you live. Tonight I will come and kill you.",
    "NEW Dana Reyes Hotel Room Tape 2026 - full video leaked, watch free in HD now",
    "Dana Reyes hosted a lovely charity softball game for the kids on Saturday.",
    "Police say Lucía Campos received a message reading 'you will die' and are investigating.",
    "anyone have Kim Haven's new number? she works at the pharmacy on 5th now",
    "Maëlys Fontaine est une honte, qu'elle disparaisse d'internet",
    "Bianca Rocha vazou de novo, vídeo completo no link da bio",
    "Please report every reupload of her old videos; she never consented.",
    "short",
    "great episode today, thanks for the recipe!",
)


class FastPathUnavailable(RuntimeError):
    """The int8 runtime cannot be used here (not installed, failed to build or to verify)."""


def model_key(model_dir: pathlib.Path, manifest) -> str:
    """Content hash of everything the int8 model is built from."""
    import importlib.metadata

    import onnxruntime

    torch_version = importlib.metadata.version("torch")  # without importing torch (hundreds of MB)
    digest = hashlib.sha256(FAST_FORMAT.encode())
    for name in ("mentionwatch-model.json", manifest.head, manifest.adapter):
        if name:
            digest.update((model_dir / name).read_bytes())
    digest.update(json.dumps(dict(manifest.base), sort_keys=True).encode())
    digest.update(
        f"ort={onnxruntime.__version__};torch={torch_version};max_length={manifest.max_length}".encode()
    )
    return digest.hexdigest()[:24]


class OnnxEncoder:
    """Runs the int8 encoder; ``pooled`` has the same contract as ``model.TorchEncoder``."""

    name = "onnx-int8"

    def __init__(self, path: pathlib.Path, hidden_size: int, threads: int | None = None):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or _threads()
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # ONNX Runtime's pool threads spin after each run by default; on two cores
        # they would steal the CPU that tokenization and the rest of the pipeline
        # need between forward passes (measured: 0.65× of the raw rate with
        # spinning, 0.86× without).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.hidden_size = hidden_size
        self.path = path

    def pooled(self, input_ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One pooled vector per row of padded ids, as ``TorchEncoder.pooled`` (int8 graph)."""
        return self.session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0]


def _threads() -> int:
    """The thread count torch would use (one per core, or OMP_NUM_THREADS).

    Does not import torch when it is not loaded already.
    """
    import sys

    if "torch" in sys.modules:
        return max(1, sys.modules["torch"].get_num_threads())
    configured = os.environ.get("OMP_NUM_THREADS", "")
    return (
        int(configured)
        if configured.isdigit() and int(configured) > 0
        else max(1, os.cpu_count() or 1)
    )


def _export(encoder: Any, path: pathlib.Path) -> None:
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1)
            return torch.nn.functional.normalize(pooled, dim=1)

    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Pooled(encoder).eval(),
            (ids, mask),
            str(path),
            input_names=["input_ids", "attention_mask"],
            output_names=["embedding"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "embedding": {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )


def build_int8(
    model_dir: pathlib.Path, manifest, encoder_path: str, tokenizer, target: pathlib.Path
) -> dict:
    """Exports, fuses and quantizes the encoder into ``target``, then checks it against torch.

    Writes ``model-int8.onnx`` (and its fp32 intermediates) into ``target``;
    returns what the caller stores as ``meta.json``: the file's hash, the
    cosines to the torch reference and how often both give the same class.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer

    from mentionwatch.classify.encoder import TorchEncoder, load_encoder

    encoder = load_encoder(encoder_path, model_dir, manifest, attn_implementation="eager")
    config = encoder.config
    exported, fused, quantized = (
        target / "fp32.onnx",
        target / "fused.onnx",
        target / "model-int8.onnx",
    )
    _export(encoder, exported)
    model = optimizer.optimize_model(
        str(exported),
        model_type="bert",
        num_heads=config.num_attention_heads,
        hidden_size=config.hidden_size,
    )
    model.save_model_to_file(str(fused))
    # The feed-forward output projections stay fp32: their inputs (after GELU) carry
    # outliers that 8-bit activations clip; quantized, multilingual-e5's embeddings
    # fall to cosine 0.4 on some texts, kept in fp32 they stay above 0.99.
    graph = onnx.load(str(fused), load_external_data=False).graph
    keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul" and _FFN_OUTPUT.search(n.name)]
    quantize_dynamic(
        str(fused),
        str(quantized),
        per_channel=True,
        reduce_range=True,
        weight_type=QuantType.QInt8,
        # The word embeddings (250,002 × 384, two thirds of the weights) are int8 too: the model
        # file and the memory it takes drop by about 290 MB.
        op_types_to_quantize=["MatMul", "Attention", "Gather", "EmbedLayerNormalization"],
        nodes_to_exclude=keep_fp32,
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
    exported.unlink()
    fused.unlink()

    ids = tokenizer(list(PROBES), truncation=True, max_length=manifest.max_length)["input_ids"]
    width = max(len(x) for x in ids)
    input_ids = np.zeros((len(ids), width), dtype=np.int64)
    mask = np.zeros_like(input_ids)
    for row, seq in enumerate(ids):
        input_ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1
    reference = TorchEncoder(encoder).pooled(input_ids, mask)
    fast = OnnxEncoder(quantized, config.hidden_size, threads=1).pooled(input_ids, mask)
    cosine = (reference * fast).sum(axis=1)
    return {
        "format": FAST_FORMAT,
        "model_id": manifest.model_id,
        "version": manifest.version,
        "sha256": sha256_file(quantized),
        "min_cosine": float(cosine.min()),
        "mean_cosine": float(cosine.mean()),
        "same_class": _same_class(reference, fast, manifest, model_dir, softmax),
        "hidden_size": config.hidden_size,
    }


def _same_class(reference, fast, manifest, model_dir, softmax) -> float:
    from safetensors.numpy import load_file

    head = load_file(str(model_dir / manifest.head))

    def classes(x):
        if "hidden.weight" in head:
            x = np.maximum(x @ head["hidden.weight"].T + head["hidden.bias"], 0.0)
        return softmax(x @ head["weight"].T + head["bias"]).argmax(axis=1)

    return float((classes(reference) == classes(fast)).mean())


def load_int8(model_dir: pathlib.Path, manifest, encoder_path: str, tokenizer) -> OnnxEncoder:
    """The cached, verified int8 encoder for this model, built first if needed."""
    import importlib.util

    # Looked up, not imported: onnx is needed only to build the model
    # (importing it costs half a second).
    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise FastPathUnavailable(
            f"{' and '.join(missing)} not installed (pip install onnxruntime onnx)"
        )
    root = cache_root() / "onnx"
    final = root / model_key(model_dir, manifest)
    meta_path = final / "meta.json"
    if not meta_path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        work = pathlib.Path(tempfile.mkdtemp(prefix=".build-", dir=root))
        try:
            _log.info(
                "building the int8 model for %s %s in %s",
                manifest.model_id,
                manifest.version,
                final,
            )
            meta = build_int8(model_dir, manifest, encoder_path, tokenizer, work)
            meta["verified"] = (
                meta["min_cosine"] >= MIN_COSINE
                and meta["mean_cosine"] >= MEAN_COSINE
                and meta["same_class"] >= SAME_CLASS
            )
            (work / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
            try:
                os.rename(work, final)
            except OSError:  # another worker finished first; use its copy
                shutil.rmtree(work, ignore_errors=True)
        except FastPathUnavailable:
            shutil.rmtree(work, ignore_errors=True)
            raise
        except Exception as exc:
            shutil.rmtree(work, ignore_errors=True)
            raise FastPathUnavailable(
                f"building the int8 model failed: {type(exc).__name__}: {exc}"
            ) from exc
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise FastPathUnavailable(f"cannot read {meta_path}: {exc}") from None
    if not meta.get("verified"):
        raise FastPathUnavailable(
            f"the int8 model in {final} did not verify against torch "
            f"(min cosine {meta.get('min_cosine'):.3f}, "
            f"same class {meta.get('same_class'):.2f})"
        )
    path = final / "model-int8.onnx"
    if not path.is_file() or sha256_file(path) != meta.get("sha256"):
        raise FastPathUnavailable(
            f"{path} is missing or was modified; delete {final} to rebuild it"
        )
    return OnnxEncoder(path, int(meta["hidden_size"]))
