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


def test_the_spent_blind_sets_keep_what_was_learned_from_them():
    """The third blind set, studied for the fourth round (dev4): 0.991 / 0.935 after it."""
    counts = bench.collections.Counter()
    for name in ("dev4-a", "dev4-b"):
        counts.update(bench.quality(name, *bench.SETS[name], show=False)[2])
    precision, recall = bench._pr(counts)
    assert precision >= 0.98 and recall >= 0.93, (precision, recall)


def test_blind_set_floors():
    """Recomputed on the frozen blind set (the fourth; never tuned on): 0.925 / 0.887
    when it was first measured. The issue's target is 0.97 each and is not met
    (docs/matching.md); these floors catch regressions."""
    counts = bench.collections.Counter()
    for name in ("blind-a", "blind-b"):
        counts.update(bench.quality(name, *bench.SETS[name], show=False)[2])
    precision, recall = bench._pr(counts)
    assert precision >= 0.92 and recall >= 0.88, (precision, recall)
