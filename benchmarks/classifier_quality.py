"""Classifier quality (issue 8 targets): held-out split and the project evaluation set.

Two measurements, each for the torch fp32 runtime (the reference) and the
int8 ONNX Runtime fast path, so the int8 path's quality cost is in the same
output:

1. **Held-out split**: the written-corpus templates the training job kept
   out (``classify.train.split`` with the model's recorded seed), rendered with
   names from the held-out name pool exactly as the job did. Never trained
   on, never used for calibration.
2. **Project evaluation set** (``tests/data/eval``: 5 fictional subjects,
   667 items, 44 % non-English), written independently and never used for
   training or tuning. Each (item, expected subject) pair is classified as
   the pipeline would: the matcher runs on the item and the mention it
   finds for that subject supplies the spans (so ``inputs.model_input``
   windows long texts around her name); when the matcher misses the subject
   (a matching error, reported separately) the full text is used.

Printed for each: macro-F1 over harassment / re_promotion / benign, recall
per harassment type, and the confusion matrix. Targets: macro-F1 ≥ 0.85;
recall ≥ 0.90 for threats and doxxing. Baseline in the same run: the same
model without the rule evidence (model scores and thresholds only).

Run: ``.venv/bin/python benchmarks/classifier_quality.py [--model DIR] [--runtime torch|onnx-int8|both]``
(about 1–2 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from mentionwatch.classify import metrics
from mentionwatch.classify.decision import decide
from mentionwatch.classify.inputs import model_input, url_words
from mentionwatch.classify.labels import label_scores
from mentionwatch.classify.model import Manifest, load_classifier, resolve_model_dir
from mentionwatch.classify.signals import NO_EVIDENCE, observe
from mentionwatch.classify.train import _expected, fingerprint, load_templates, render_all, split
from mentionwatch.config import load_config
from mentionwatch.matching.matcher import SubjectMatcher
from mentionwatch.records import Item, Mention
from mentionwatch.subjects import from_config


def split_settings(manifest) -> tuple[int, int, float]:
    """(seed, renderings per template, URL rate) the training job split and rendered with."""
    settings = manifest.extra.get("training", {}).get("settings", {})
    return int(settings.get("seed", 13)), int(settings.get("eval_renders", 2)), float(settings.get("url_rate", 0.75))


def held_out(manifest) -> tuple[list[str], list[str], list, list]:
    """(texts, url words, subjects, expected) of the training job's test split."""
    seed, renders, url_rate = split_settings(manifest)
    recorded_data = manifest.extra.get("training", {}).get("data", [{}])[0]
    files = recorded_data.get("files", [])
    folders = [ROOT / f for f in recorded_data.get("folders", ["pipelines/data/written"])]
    templates = [t for t in load_templates(folders) if not files or t.source.split(":")[0] in files]
    recorded = recorded_data.get("sha256")
    if recorded and recorded != fingerprint(templates):
        raise SystemExit(
            "the written corpus differs from the data this model was trained on (fingerprint mismatch): "
            "its held-out split cannot be rebuilt without leaking training templates"
        )
    parts = split(templates, seed)
    expected_sizes = recorded_data.get("templates")
    if expected_sizes and {k: len(v) for k, v in parts.items()} != expected_sizes:
        raise SystemExit(f"split sizes {({k: len(v) for k, v in parts.items()})} differ from training's {expected_sizes}")
    test = parts["test"]
    rendered = [r for k in range(renders) for r in render_all(test, seed * 1000 + k, True, url_rate)]
    return [r.text for r in rendered], [r.url_words for r in rendered], [r.subject for r in rendered], [_expected(r.cls) for r in rendered]


def eval_set() -> tuple[list[str], list[str], list, list, int]:
    """(texts, url words, subjects, expected, matcher misses) of the project evaluation set."""
    loaded = load_config(ROOT / "tests" / "data" / "eval" / "config.yaml")
    subjects = {s.name: s for s in from_config(loaded.config.subjects)}
    matcher = SubjectMatcher(tuple(subjects.values()))
    texts, words, specs, expected, misses = [], [], [], [], 0
    for line in (ROOT / "tests" / "data" / "eval" / "mentions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if not row["expected"]:
            continue
        item = Item(row["id"], row.get("source", ""), row.get("url", ""), row.get("title", ""), row.get("text", ""), published_at=row.get("published"))
        found = {m.subject: m for m in matcher.match(item)}
        for want in row["expected"]:
            mention = found.get(want["subject"])
            if mention is None:
                misses += 1
                mention = Mention(item, want["subject"], ())
            texts.append(model_input(mention))
            words.append(url_words(item.url))
            specs.append(subjects[want["subject"]])
            expected.append((want["label"], want.get("harassment_type")))
    return texts, words, specs, expected, misses


def evaluate(classifier, texts, words, specs, expected, thresholds) -> tuple[dict, dict, float]:
    started = time.perf_counter()
    probs = classifier.predict_proba(texts)
    seconds = time.perf_counter() - started
    with_rules, model_only = [], []
    for row, text, word, spec in zip(probs, texts, words, specs, strict=True):
        scores = label_scores(row, classifier.classes)
        with_rules.append(decide(scores, thresholds, observe(text, spec, word)))
        model_only.append(decide(scores, thresholds, NO_EVIDENCE))
    return metrics.report(expected, with_rules), metrics.report(expected, model_only), len(texts) / seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="shipped")
    parser.add_argument("--runtime", choices=("torch", "onnx-int8", "both"), default="both")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(2)
    model_dir = resolve_model_dir(args.model)
    runtimes = ("torch", "onnx-int8") if args.runtime == "both" else (args.runtime,)
    data = {"held-out split": held_out(Manifest.read(model_dir))}
    texts, words, specs, expected, misses = eval_set()
    data["project evaluation set"] = (texts, words, specs, expected)
    print(f"model {args.model} ({model_dir}); 2 threads; load average {os.getloadavg()[0]:.2f}")
    print(f"held-out split: {len(data['held-out split'][0])} mentions; evaluation set: {len(texts)} (item, subject) pairs, "
          f"{misses} not found by the matcher (classified on the full text)")
    summary = {}
    for runtime in runtimes:
        classifier = load_classifier(args.model, batch_size=32, runtime=runtime)
        thresholds = dict(classifier.manifest.thresholds)
        print(f"\n=== runtime {runtime}: {classifier.model_ref}")
        print(f"thresholds {json.dumps(thresholds)}")
        for name, (t, w, s, e) in data.items():
            rules, alone, rate = evaluate(classifier, t, w, s, e, thresholds)
            print()
            print(metrics.format_report(f"[{runtime}] {name}: model + rule evidence", rules))
            print(f"  baseline, model only (no rule evidence): macro-F1 {alone['macro_f1']:.3f}, "
                  f"threat recall {alone['type_recall'].get('threat', 0):.3f}, doxxing recall {alone['type_recall'].get('doxxing', 0):.3f}")
            print(f"  ({rate:.0f} mentions/s scoring)")
            summary[(runtime, name)] = rules["macro_f1"]
    if len(runtimes) == 2:
        print("\nint8 vs torch macro-F1 difference (target: within 0.01):")
        for name in data:
            print(f"  {name}: {summary[('onnx-int8', name)] - summary[('torch', name)]:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
