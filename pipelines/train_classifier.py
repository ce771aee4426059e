"""Trains the mention classifier: the written corpus to a model directory.

The logic lives in ``mentionwatch.training.train``; this only parses
arguments. The same job is ``mentionwatch train``.

    .venv/bin/python pipelines/train_classifier.py --out src/mentionwatch/models/default
"""

from __future__ import annotations

import sys

from mentionwatch.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
