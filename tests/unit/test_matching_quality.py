"""The matcher on the labelled sets: a regression guard for the issue's targets.

The evaluation set (tests/data/eval) was written independently of the code;
the development set (tests/data/matching/dev.jsonl) is the one the matcher
was tuned on. ``benchmarks/matching.py`` prints the full breakdown.
"""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench


@pytest.mark.parametrize("name", ["eval", "dev", "holdout"])
def test_precision_and_recall_targets(name):
    precision, recall = bench.quality(name, *bench.SETS[name], show=False)
    assert precision >= 0.97 and recall >= 0.97, (name, precision, recall)
