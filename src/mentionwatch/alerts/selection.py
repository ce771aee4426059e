"""Which classified mentions become alerts, and how urgent each is.

Severity comes from the label and the harassment type, then the score:

=====================  ==========
label / type           severity
=====================  ==========
threat, doxxing        critical
incitement             high
sexual_harassment      high
identity_attack        high
insult                 medium
re_promotion           medium
benign                 none (never alerts)
=====================  ==========

A score that only just clears its threshold (less than ``BORDERLINE`` above
it) lowers a *non-critical* severity by one step: borderline insults and
re-promotions are worth a digest, not an interruption. Threats and doxxing
are never lowered: a missed threat costs more than a false one.

An alert is made when the label is one of the policy's ``labels`` and the
severity is at least ``min_severity``.

A re-promotion names the known work it pushes (``known_work``): the first of
the subject's known titles found in the item, whole or by a distinctive part.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mentionwatch.ids import alert_id
from mentionwatch.matching.normalize import fold
from mentionwatch.records import SEVERITIES, Alert, ClassifiedMention, Item, utc_now
from mentionwatch.textutil import excerpt

BORDERLINE = 0.15
EXCERPT_CHARS = 280
_NON_WORD = re.compile(r"[^\w]+|\d+")
_TITLE_PARTS = re.compile(r"\s[-\u2013\u2014|]\s|:\s|[()\[\]]")

_BASE = {
    "threat": "critical",
    "doxxing": "critical",
    "incitement": "high",
    "sexual_harassment": "high",
    "identity_attack": "high",
    "insult": "medium",
}


def severity(label: str, harassment_type: str | None, score: float, threshold: float) -> str:
    """Severity of one classified mention (see the module table)."""
    if label == "benign":
        return "none"
    base = _BASE.get(harassment_type or "", "medium") if label == "harassment" else "medium"
    if base != "critical" and score < threshold + BORDERLINE:
        return SEVERITIES[max(1, SEVERITIES.index(base) - 1)]
    return base


def severity_at_least(value: str, minimum: str) -> bool:
    """True when severity ``value`` ranks at or above ``minimum`` (both from ``SEVERITIES``)."""
    return SEVERITIES.index(value) >= SEVERITIES.index(minimum)


def _words(text: str) -> str:
    """``text`` folded to lowercase words without digits or punctuation, one space apart."""
    return " ".join(_NON_WORD.sub(" ", fold(text)).split())


def known_work(item: Item, subject: str, titles: Sequence[str]) -> str:
    """The first of ``titles`` (her known works) that ``item`` names, or ``""``.

    A title counts when the item's title, text or link holds it whole
    ("Dana Reyes - Summer Shoot"), or holds one part of it cut at `` - ``,
    ``:``, ``|`` or brackets that has at least two words and eight letters
    and is not her name ("summer shoot", also in a link's ``summer-shoot``).
    Case, accents, look-alike letters, digits and punctuation are ignored.
    """
    haystack = f" {_words(f'{item.title} {item.text} {item.url}')} "
    name = _words(subject)
    for title in titles:
        whole = _words(title)
        for part in {whole, *(_words(p) for p in _TITLE_PARTS.split(title))}:
            distinctive = part == whole or (
                len(part.split()) >= 2 and len(part.replace(" ", "")) >= 8
            )
            if part and part != name and distinctive and f" {part} " in haystack:
                return title
    return ""


def make_alert(classified: ClassifiedMention, known_titles: Sequence[str] = ()) -> Alert:
    """The alert for a classified mention (whether or not the policy sends it).

    ``known_titles`` are the subject's known works; a re-promotion's alert
    names the one the item names (``known_work``).
    """
    mention, result = classified.mention, classified.classification
    item = mention.item
    score = float(result.scores.get(result.label, 0.0))
    level = severity(
        result.label, result.harassment_type, score, float(result.thresholds.get(result.label, 0.5))
    )
    return Alert(
        alert_id=alert_id(mention.subject, item.id, result.label),
        subject=mention.subject,
        label=result.label,
        harassment_type=result.harassment_type,
        severity=level,
        item_id=item.id,
        mention_id=mention.id,
        url=item.url,
        source=item.source,
        title=excerpt(item.title, 200),
        excerpt=excerpt(item.text or item.title, EXCERPT_CHARS),
        published_at=item.published_at,
        created_at=utc_now(),
        scores=dict(result.scores),
        model_id=result.model_id,
        model_version=result.model_version,
        evidence_ref=item.raw_ref,
        # Re-promotion text markets her old content; it is hidden by default too.
        content_warning=result.label != "benign",
        known_content=known_work(item, mention.subject, known_titles)
        if result.label == "re_promotion"
        else "",
    )


def select(classified: ClassifiedMention, labels: Iterable[str], min_severity: str) -> Alert | None:
    """The alert to send for ``classified``, or None when the policy says no."""
    if classified.classification.label not in set(labels):
        return None
    alert = make_alert(classified)
    if alert.severity == "none" or not severity_at_least(alert.severity, min_severity):
        return None
    return alert
