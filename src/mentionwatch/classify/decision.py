"""From scores to one label: the documented decision.

Inputs: the model's label scores (``labels.label_scores``: ``harassment`` is
the sum of the six type probabilities, ``type:<t>`` the share of each type)
and the thresholds, calibrated on the training job's validation split and
stored with the model; the config may override the two label thresholds.

The rule, in order (precedence harassment > re_promotion > benign, as in
docs/labels.md):

1. **harassment** if ``harassment ≥ t_harassment``;
2. its **type** is the first type, in severity order (threat > doxxing >
   incitement > sexual_harassment > identity_attack > insult), whose share
   reaches its own threshold (``type:threat``, ``type:doxxing``; the others
   use ``type:other``); if none does, the most probable type;
3. **re_promotion** if ``re_promotion ≥ t_re_promotion``;
4. otherwise **benign**.

Harassment comes first because it is the more dangerous miss; the type
order makes a post that threatens *and* insults a threat.

There is no rule layer on top of the model. The first model had one
(regular expressions for private details, newness claims and known titles,
with calibrated factors by which they lowered the thresholds); on the
validation split its calibration set every factor to "no effect" for both
the MiniLM and the multilingual model, and on the old evaluation set it
changed none of 522 decisions, so it was removed (docs/model-card.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from mentionwatch.classify.labels import top_type
from mentionwatch.records import HARASSMENT_TYPES

#: Thresholds used when neither the model nor the config gives one.
DEFAULTS: Mapping[str, float] = {
    "harassment": 0.5,
    "re_promotion": 0.5,
    "type:threat": 0.5,
    "type:doxxing": 0.5,
    "type:other": 0.5,
}


def _type(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    for kind in HARASSMENT_TYPES:
        bar = thresholds.get(f"type:{kind}", thresholds.get("type:other", DEFAULTS["type:other"]))
        if scores.get(f"type:{kind}", 0.0) >= bar:
            return kind
    return top_type(scores)


def decide(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> tuple[str, str | None]:
    """Returns ``(label, harassment_type)`` for one mention."""
    t = {**DEFAULTS, **{k: float(v) for k, v in thresholds.items()}}
    if scores["harassment"] >= t["harassment"]:
        return "harassment", _type(scores, t)
    if scores["re_promotion"] >= t["re_promotion"]:
        return "re_promotion", None
    return "benign", None
