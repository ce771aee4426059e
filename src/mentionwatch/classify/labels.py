"""The classes the model predicts and how they fold into labels.

The model has one softmax over eight classes: ``benign``, ``re_promotion``
and the six harassment types. The probability of ``harassment`` is the sum of
its types, so "which kind of harassment" never competes with "is it
harassment" for probability mass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mentionwatch.records import HARASSMENT_TYPES

CLASSES: tuple[str, ...] = ("benign", "re_promotion", *HARASSMENT_TYPES)


def label_scores(probs: Sequence[float], classes: Sequence[str] = CLASSES) -> dict[str, float]:
    """Per-label and per-type scores from one row of class probabilities.

    Returns ``benign``, ``re_promotion`` and ``harassment`` (the sum of the
    type probabilities), plus ``type:<name>`` for each harassment type,
    normalised within harassment so the types sum to 1.
    """
    by_class = dict(zip(classes, (float(p) for p in probs), strict=True))
    harassment = sum(by_class.get(t, 0.0) for t in HARASSMENT_TYPES)
    scores = {
        "benign": by_class.get("benign", 0.0),
        "re_promotion": by_class.get("re_promotion", 0.0),
        "harassment": harassment,
    }
    for kind in HARASSMENT_TYPES:
        scores[f"type:{kind}"] = by_class.get(kind, 0.0) / harassment if harassment > 0 else 0.0
    return scores


def top_type(scores: Mapping[str, float]) -> str:
    """The harassment type with the highest ``type:`` score (the first in order on a tie)."""
    return max(HARASSMENT_TYPES, key=lambda t: scores.get(f"type:{t}", 0.0))
