"""The model directory a training run writes, and the records of how it was made.

``mentionwatch-model.json`` (the manifest ``classify.model`` reads: format,
base encoder, calibrated thresholds, plus provenance and licences),
``adapter.safetensors`` (format in ``classify.adapter``), ``head.safetensors``,
``evaluation.json`` and ``REPORT.md`` with the held-out figures.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import pathlib
from collections.abc import Mapping, Sequence

from mentionwatch.classify.labels import CLASSES
from mentionwatch.classify.model import FORMAT, MANIFEST
from mentionwatch.training import metrics
from mentionwatch.training.corpus import Template, fingerprint
from mentionwatch.training.lora import BASES, LoraModel, adapter_tensors, base_block, head_tensors
from mentionwatch.training.settings import TrainSettings

ADAPTER = "adapter.safetensors"
HEAD = "head.safetensors"


def save_weights(out: pathlib.Path, model: LoraModel) -> str:
    """Writes the adapter and head files; returns the version: today's date and their hash."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    save_file(adapter_tensors(model), str(out / ADAPTER))
    save_file(head_tensors(model), str(out / HEAD))
    content = hashlib.sha256((out / ADAPTER).read_bytes() + (out / HEAD).read_bytes()).hexdigest()
    return f"{dt.date.today().isoformat()}-{content[:10]}"


def manifest(
    settings: TrainSettings,
    version: str,
    thresholds: Mapping[str, float],
    templates: Sequence[Template],
    split_sizes: Mapping[str, int],
    history: list[dict],
    train_seconds: float,
) -> dict:
    """The manifest's content: what ``classify.model`` loads, and the model's provenance."""
    sources = sorted({t.source.split(":")[0] for t in templates})
    return {
        "format": FORMAT,
        "model_id": settings.model_id,
        "version": version,
        "classes": list(CLASSES),
        "base": base_block(settings.base),
        "head": HEAD,
        "adapter": ADAPTER,
        "max_length": settings.max_length,
        "thresholds": {k: round(float(v), 4) for k, v in thresholds.items()},
        "pooling": "mean, L2-normalised",
        "training": {
            "settings": {
                k: (str(v) if isinstance(v, pathlib.Path) else v)
                for k, v in dataclasses.asdict(settings).items()
                if k not in ("data", "out")
            },
            "data": [
                {
                    "name": "mentionwatch written training corpus",
                    "folders": [str(f) for f in settings.data],
                    "files": sources,
                    "licence": "CC BY 4.0",
                    "author": "the mentionwatch project",
                    "templates": dict(split_sizes),
                    "sha256": fingerprint(templates),
                }
            ],
            "public_data_used": [
                {
                    "name": (
                        "Davidson et al. 2017, hate speech and offensive language "
                        "(tweets marked 'neither')"
                    ),
                    "file": "pipelines/data/real/davidson_neither.jsonl",
                    "licence": "MIT",
                    "built_by": "pipelines/data/real/build.py",
                }
            ],
            "seconds": round(train_seconds, 1),
            "history": history,
            "threads": settings.threads,
        },
        "licence": {
            "base_model": BASES[settings.base]["licence"],
            "adapter_and_head": "Apache-2.0 (mentionwatch)",
        },
    }


def write_json(out: pathlib.Path, name: str, content: dict, ensure_ascii: bool = True) -> None:
    """Writes ``content`` as indented JSON with a final newline to ``out / name``."""
    text = json.dumps(content, indent=1, ensure_ascii=ensure_ascii)
    (out / name).write_text(text + "\n", encoding="utf-8")


def write_manifest(out: pathlib.Path, content: dict) -> None:
    """Writes the manifest (non-ASCII kept as is) where ``classify.model`` looks for it."""
    write_json(out, MANIFEST, content, ensure_ascii=False)


def write_report(
    out: pathlib.Path,
    settings: TrainSettings,
    version: str,
    evaluation: Mapping,
    train_seconds: float,
    total_seconds: float,
) -> None:
    """Writes REPORT.md: the held-out test figures, validation's, thresholds and timings."""
    thresholds = evaluation["thresholds"]
    report = "\n\n".join(
        [
            f"# {settings.model_id} {version}",
            (
                "Held-out test split of the written corpus (templates never trained on, "
                "names from the held-out pool, "
                f"{settings.eval_renders} renderings each)."
            ),
            "```\n" + metrics.format_report("test split", evaluation["test"]) + "\n```",
            "```\n"
            + metrics.format_report(
                "validation split (used for calibration)", evaluation["validation"]
            )
            + "\n```",
            f"Thresholds: `{json.dumps(thresholds)}`",
            (
                f"Training: {train_seconds / 60:.1f} min on {settings.threads} threads; "
                f"total {total_seconds / 60:.1f} min."
            ),
        ]
    )
    (out / "REPORT.md").write_text(report + "\n", encoding="utf-8")
