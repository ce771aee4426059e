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


def test_blind_set_floors():
    """Recomputed on the frozen blind set (never tuned on): 0.964 / 0.911 when it was
    frozen. The issue's target is 0.97 each and is not met yet (docs/matching.md);
    these floors catch regressions."""
    counts = bench.collections.Counter()
    for name in ("blind-a", "blind-b"):
        counts.update(bench.quality(name, *bench.SETS[name], show=False)[2])
    precision, recall = bench._pr(counts)
    assert precision >= 0.96 and recall >= 0.90, (precision, recall)
