"""The matcher on the labelled sets: a regression guard for the issue's targets.

The development sets (tests/data/eval, now a development set: the matcher was
tuned on it; tests/data/matching) guard against regressions; the blind set
(tests/data/blind/matching, test_blind_sets.py) gives the reported figure.
``benchmarks/matching.py`` prints the full breakdown.
"""

import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import matching as bench


@pytest.mark.parametrize("name", ["dev-eval", "dev", "holdout"])
def test_precision_and_recall_targets(name):
    precision, recall, _ = bench.quality(name, *bench.SETS[name], show=False)
    assert precision >= 0.97 and recall >= 0.97, (name, precision, recall)
