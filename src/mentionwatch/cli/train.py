"""``mentionwatch train``: tune the mention classifier and write a model directory."""

from __future__ import annotations

import argparse
import logging
import pathlib
from collections.abc import Sequence

from mentionwatch.command import EXIT_CONFIG, EXIT_OK, CommandError

MODEL_IDS = {"e5": "mentionwatch/e5-small-lora", "minilm": "mentionwatch/minilm-l6-lora"}


def cmd_train(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Trains the classifier and prints its held-out report; a missing data folder raises."""
    from mentionwatch.training.corpus import DEFAULT_TRAINING_DATA
    from mentionwatch.training.settings import TrainSettings
    from mentionwatch.training.train import run

    data = tuple(pathlib.Path(d) for d in (args.data or DEFAULT_TRAINING_DATA))
    missing = [str(d) for d in data if not d.is_dir()]
    if missing:
        raise CommandError(
            f"training data folder not found: {', '.join(missing)} (run from the repository root "
            "or pass --data)",
            EXIT_CONFIG,
        )
    if not args.verbose:
        logging.getLogger("mentionwatch").setLevel(logging.INFO)
    settings = TrainSettings(
        data=data,
        out=pathlib.Path(args.out),
        seed=args.seed,
        epochs=args.epochs,
        threads=args.threads,
        base=args.base,
        model_id=MODEL_IDS[args.base],
    )
    run(settings)
    print((settings.out / "REPORT.md").read_text(encoding="utf-8"))
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``train``."""
    p = commands.add_parser(
        "train",
        help="train the mention classifier (offline, CPU) and write a model directory with its "
        "evaluation",
        description="Builds the training set from the project's corpus, tunes LoRA adapters and "
        "a head on the pinned encoder (multilingual-e5-small by default), calibrates thresholds "
        "on a validation split and reports a held-out test split.",
    )
    p.add_argument(
        "--out",
        default="build/model",
        help="model directory to write (the shipped one: src/mentionwatch/models/default)",
    )
    p.add_argument(
        "--data",
        action="append",
        help="folder of *.jsonl examples (repeatable; default pipelines/data/written, extra and "
        "real)",
    )
    p.add_argument(
        "--base",
        choices=tuple(MODEL_IDS),
        default="e5",
        help="the encoder to tune (default e5, multilingual)",
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_train)
