"""Choosing the decision's thresholds on the validation split: the operating point.

The operating point is chosen for the person on the receiving end
(``objective``): macro-F1 over the three labels, penalised below a threat
and doxxing recall floor and above a benign false-alarm ceiling (the targets
of docs/model-card.md). ``calibrate`` grid-searches the harassment and
re-promotion thresholds first, then each type threshold in turn.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mentionwatch.classify.decision import decide
from mentionwatch.classify.labels import CLASSES, label_scores
from mentionwatch.training import metrics
from mentionwatch.training.corpus import Rendered, expected_label

RECALL_FLOOR = 0.95  # threats and doxxing: the operating point the person needs ...
FALSE_ALARM_CEILING = 0.05  # ... with at most one benign mention in twenty flagged


def apply_rule(probs: np.ndarray, thresholds: dict) -> list[tuple[str, str | None]]:
    """The decision's (label, harassment type) for each row of class probabilities."""
    return [decide(label_scores(row, CLASSES), thresholds) for row in probs]


def false_alarms(result: dict) -> float:
    """Benign mentions labelled harassment or re_promotion, over benign mentions."""
    row = result["confusion"]["benign"]
    return (row["harassment"] + row["re_promotion"]) / max(1, sum(row.values()))


def objective(result: dict) -> float:
    """The score calibration maximises for a ``metrics.report`` result.

    Macro-F1, with penalties below the threat/doxxing recall floor and above
    the benign false-alarm ceiling, plus a small reward for the right type.
    """
    recall = result["type_recall"]
    floor = min(recall.get("threat", 1.0), recall.get("doxxing", 1.0))
    return (
        result["macro_f1"]
        - 2.0 * max(0.0, RECALL_FLOOR - floor)
        - 2.0 * max(0.0, false_alarms(result) - FALSE_ALARM_CEILING)
        + 0.05 * result["type_accuracy"]
    )


def calibrate(probs: np.ndarray, rendered: Sequence[Rendered]) -> tuple[dict, dict]:
    """Grid search on validation for the decision's thresholds; returns (thresholds, result)."""
    expected = [expected_label(r.cls) for r in rendered]
    best = None
    grid = [round(x, 2) for x in np.arange(0.2, 0.81, 0.05)]
    for th in grid:
        for tr in grid:
            t = {"harassment": th, "re_promotion": tr}
            result = metrics.report(expected, apply_rule(probs, t))
            score = objective(result)
            if best is None or score > best[0]:
                best = (score, t)
    thresholds = dict(best[1])
    for key, values in (
        ("type:threat", (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)),
        ("type:doxxing", (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)),
        ("type:other", (0.3, 0.4, 0.5, 0.99)),
    ):
        scored = []
        for value in values:
            t = {**thresholds, key: value}
            result = metrics.report(expected, apply_rule(probs, t))
            scored.append((objective(result), -abs(value - 0.5), value))
        thresholds[key] = max(scored)[2]
    result = metrics.report(expected, apply_rule(probs, thresholds))
    return thresholds, result
