"""From scores to one label: the documented decision.

Inputs are the model's label scores (``labels.label_scores``) and the
thresholds from the config. The rule, in order:

1. ``harassment`` if its score reaches the harassment threshold; the type is
   the most probable harassment type.
2. otherwise ``re_promotion`` if its score reaches its threshold;
3. otherwise ``benign``.

Harassment is checked first because it is the more dangerous miss: a
re-promotion post that also degrades the subject is harassment
(docs/labels.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from mentionwatch.classify.labels import top_type


def decide(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> tuple[str, str | None]:
    """Returns ``(label, harassment_type)`` for one mention."""
    if scores["harassment"] >= thresholds["harassment"]:
        return "harassment", top_type(scores)
    if scores["re_promotion"] >= thresholds["re_promotion"]:
        return "re_promotion", None
    return "benign", None
