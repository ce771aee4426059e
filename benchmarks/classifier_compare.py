"""Compare trained models on the held-out templates they share (a retrain's ship decision).

The training job splits templates by a keyed hash of their text
(``training.corpus.split``), so a template's split does not depend on the rest
of the corpus: a model trained on ``written`` and one trained on ``written``
plus ``extra`` hold out exactly the same ``written`` templates. This script
rebuilds the test split over the given data folders, renders each folder's
test templates once (the same renderings for every model), and prints, per
model and per folder: macro-F1, per-label precision / recall, and recall per
harassment type (found as harassment / with the right type).

Every model must have been trained with the same split seed; a template is
only scored by a model when it was held out from that model's training (it is
in the test split, so it was never trained on, whichever folders the model
saw).

Run: ``.venv/bin/python benchmarks/classifier_compare.py MODEL_DIR [MODEL_DIR ...]
[--data pipelines/data/written --data pipelines/data/extra]`` (about a
minute per model on 2 cores; torch fp32).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(ROOT / "benchmarks"))

from mentionwatch.classify.decision import decide
from mentionwatch.classify.labels import label_scores
from mentionwatch.classify.model import Manifest, load_classifier, resolve_model_dir
from mentionwatch.training import metrics
from mentionwatch.training.corpus import (
    DEFAULT_TRAINING_DATA,
    expected_label,
    load_templates,
    render_all,
    split,
)


def split_settings(manifest) -> tuple[int, int, float]:
    """(seed, renderings per template, URL rate) the training job split and rendered with."""
    settings = manifest.extra.get("training", {}).get("settings", {})
    return (
        int(settings.get("seed", 13)),
        int(settings.get("eval_renders", 2)),
        float(settings.get("url_rate", 0.75)),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="+", help="model directories (or 'shipped')")
    parser.add_argument(
        "--data", action="append", help="data folders (default: the training job's default)"
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    folders = [ROOT / d for d in (args.data or DEFAULT_TRAINING_DATA)]
    seeds = {
        model: split_settings(Manifest.read(resolve_model_dir(model))) for model in args.models
    }
    if len(set(seeds.values())) != 1:
        raise SystemExit(
            f"the models were trained with different split seeds or renderings: {seeds}"
        )
    seed, renders, url_rate = next(iter(seeds.values()))

    test = split(load_templates(folders), seed)["test"]
    subsets = {}
    for folder in folders:
        files = {p.name for p in folder.glob("*.jsonl")}
        templates = [t for t in test if t.source.split(":")[0] in files]
        if templates:
            subsets[folder.name] = [
                r
                for k in range(renders)
                for r in render_all(templates, seed * 1000 + k, True, url_rate)
            ]

    for model in args.models:
        classifier = load_classifier(model, batch_size=32, runtime="torch")
        thresholds = dict(classifier.manifest.thresholds)
        print(f"\n{classifier.model_ref} ({resolve_model_dir(model)})")
        for name, rendered in subsets.items():
            probs = classifier.predict_proba([r.text for r in rendered])
            predicted = [decide(label_scores(row, classifier.classes), thresholds) for row in probs]
            result = metrics.report([expected_label(r.cls) for r in rendered], predicted)
            labels = "  ".join(
                f"{k} P {v['precision']:.3f} R {v['recall']:.3f}"
                for k, v in result["per_label"].items()
            )
            types = "  ".join(
                f"{k} {v:.3f}/{result['type_exact_recall'][k]:.3f}"
                for k, v in result["type_recall"].items()
            )
            print(
                f"  {name:<8} test templates, n={result['n']:<5} "
                f"macro-F1 {result['macro_f1']:.3f}   {labels}"
            )
            print(f"  {'':<8} type recall (found / right type): {types}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
