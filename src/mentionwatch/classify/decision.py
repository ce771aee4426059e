"""From scores and evidence to one label: the documented decision.

Inputs: the model's label scores (``labels.label_scores``: ``harassment`` is
the sum of the six type probabilities, ``type:<t>`` the share of each type),
the rule evidence (``signals.observe``) and the thresholds. Every threshold
is calibrated on the training job's validation split and stored with the
model; the config may override the two label thresholds.

The rule, in order (precedence harassment > re_promotion > benign, as in
docs/labels.md):

1. **harassment** if ``harassment ≥ t_harassment``, or if doxxing evidence
   fired (``pii:*`` near her name, no advocacy context) and
   ``harassment ≥ t_harassment × evidence:doxxing``. Evidence lowers the bar;
   it never makes harassment out of a text the model finds clean.
2. The **type** is the first type, in severity order (threat > doxxing >
   incitement > sexual_harassment > identity_attack > insult), whose share
   reaches its own threshold (``type:threat``, ``type:doxxing``; the others
   use ``type:other``); if none does, the most probable type. Doxxing
   evidence makes it ``doxxing`` unless the type is ``threat``.
3. **re_promotion** if ``re_promotion ≥ t_re_promotion``, or if at least two
   kinds of re-promotion evidence fired (known title, newness claim,
   availability, URL slug; none when advocacy context fired) and
   ``re_promotion ≥ t_re_promotion × evidence:re_promotion``.
4. otherwise **benign**.

Harassment comes first because it is the more dangerous miss; the type
order makes a post that threatens *and* insults a threat.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from mentionwatch.classify.labels import top_type
from mentionwatch.classify.signals import NO_EVIDENCE, Evidence
from mentionwatch.records import HARASSMENT_TYPES

#: Rule parameters used when neither the model nor the config gives one.
DEFAULTS: Mapping[str, float] = {
    "harassment": 0.5,
    "re_promotion": 0.5,
    "type:threat": 0.5,
    "type:doxxing": 0.5,
    "type:other": 0.5,
    "evidence:doxxing": 1.0,
    "evidence:re_promotion": 1.0,
}


@dataclasses.dataclass(frozen=True)
class Decision:
    label: str
    harassment_type: str | None
    signals: tuple[str, ...]


def _type(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    for kind in HARASSMENT_TYPES:
        bar = thresholds.get(f"type:{kind}", thresholds.get("type:other", DEFAULTS["type:other"]))
        if scores.get(f"type:{kind}", 0.0) >= bar:
            return kind
    return top_type(scores)


def decide_with_evidence(
    scores: Mapping[str, float], thresholds: Mapping[str, float], evidence: Evidence = NO_EVIDENCE
) -> Decision:
    """Applies the module's rule; ``signals`` lists the evidence that changed the outcome."""
    t = {**DEFAULTS, **{k: float(v) for k, v in thresholds.items()}}
    used: list[str] = []
    pii = [s for s in evidence.signals if s.startswith("pii:")] if evidence.pii else []
    harassment = scores["harassment"]
    if harassment >= t["harassment"] or (pii and harassment >= t["harassment"] * t["evidence:doxxing"]):
        if harassment < t["harassment"]:
            used += pii
        kind = _type(scores, t)
        if pii and kind != "threat" and kind != "doxxing":
            kind = "doxxing"
            used += [s for s in pii if s not in used]
        return Decision("harassment", kind, tuple(used))
    promo = [s for s in evidence.signals if s.startswith("promo:")] if evidence.promo >= 2 else []
    repro = scores["re_promotion"]
    if repro >= t["re_promotion"] or (promo and repro >= t["re_promotion"] * t["evidence:re_promotion"]):
        if repro < t["re_promotion"]:
            used += promo
        return Decision("re_promotion", None, tuple(used))
    return Decision("benign", None, ())


def decide(
    scores: Mapping[str, float], thresholds: Mapping[str, float], evidence: Evidence = NO_EVIDENCE
) -> tuple[str, str | None]:
    """Returns ``(label, harassment_type)`` for one mention."""
    decision = decide_with_evidence(scores, thresholds, evidence)
    return decision.label, decision.harassment_type
