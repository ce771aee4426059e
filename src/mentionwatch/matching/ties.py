"""Ties between an item and the subject: her context terms, her field, her cue words.

Positive evidence that the item is about her, read item-wide: one of her
context terms written in the text, the vocabulary of harassment and
re-promotion (``lexicon``) aimed at the name, another part of her name. Also
what undoes a tie: her known content beside another performer's name.
"""

from __future__ import annotations

import os
import re

from mentionwatch.matching import lexicon
from mentionwatch.matching.automaton import Hit
from mentionwatch.matching.evidence import PERSON, Doc, Evidence, in_url, inside
from mentionwatch.matching.normalize import fold
from mentionwatch.matching.weights import CUE_CAP, CUE_EXTRA, CUE_WINDOW, CUES

_CUE_WORDS = frozenset(
    w
    for phrases in lexicon.cue_terms().values()
    for phrase in phrases
    for w in fold(phrase).split()
)


def stated(evidence: Evidence, doc: Doc) -> bool:
    """Whether one of her context terms is written in the text (a URL can be another account)."""
    return any(not in_url(doc, h) for h in evidence.context)


def own_field(words: tuple[str, ...], context_words: frozenset[str]) -> bool:
    """Whether a role or field word is the subject's own.

    It shares its stem with a word of her context terms (``realtor`` /
    ``Northshore Realty``, ``coach`` / ``skating coach``, ``nursing`` /
    ``nurse``), or is the initials of one of them (``RN`` / ``registered
    nurse``; the matcher adds those initials to her context words).
    """
    return all(
        any(
            w == c
            or (len(os.path.commonprefix((w, c))) >= max(4, 0.8 * min(len(w), len(c))))
            or (len(w) >= 3 and c.startswith(w))  # "vet" / "veterinary"
            for c in context_words
        )
        for w in words
    )


def other_name_part(hit: Hit, names: list[Hit]) -> bool:
    """Whether another part of her name appears elsewhere in the item (a tie for a part)."""
    return any(
        h.term.payload.words != hit.term.payload.words
        and (h.end <= hit.start or h.start >= hit.end)
        for h in names
    )


def cue_ties(hit: Hit, evidence: Evidence, doc: Doc, partial: bool) -> tuple[float, str] | None:
    """Cue words that tie the item to the subject's world, or None when there are none.

    A category's weight for its first word, ``CUE_EXTRA`` for each further
    distinct word, capped at ``CUE_CAP``; for a part of the name alone only
    within ``CUE_WINDOW`` words, and half when another subject is named.
    """
    words: dict[str, set[tuple[str, ...]]] = {}
    first_word = doc.word_at(hit.start)
    for cue, cue_first, _ in evidence.cues:
        category = cue.term.label
        if category not in CUES or inside(cue, evidence.context):
            continue
        if cue.start < hit.end and hit.start < cue.end:
            continue
        if partial and abs(cue_first - first_word) > CUE_WINDOW:
            continue
        words.setdefault(category, set()).add(cue.term.words)
    if not words:
        return None
    total = sum(CUES[c] + CUE_EXTRA * (len(w) - 1) for c, w in words.items())
    if partial and evidence.other_subject_named:
        total /= 2
    return min(total, CUE_CAP), "cues " + "/".join(sorted(words))


def other_performer(doc: Doc, evidence: Evidence) -> str | None:
    """Another person's name in an item that names her content without her name, or None.

    A person's name (two capitalised words, none hers, none of the title), or
    a name where a title puts the performer's (``Jenna - Hotel Room Tape``),
    makes the content likely that person's.
    """
    covered = [doc.original_span(h.start, h.end) for h in evidence.names]
    for start, _ in covered:
        # "Jenna - Hotel Room Tape": another name where the title puts the performer's.
        before = re.search(
            r"([A-Z][^\W\d_]+)\s*[-–—:|]\s*$", doc.original[max(0, start - 40) : start]
        )
        if (
            before
            and fold(before.group(1))
            not in evidence.tracked_words | _CUE_WORDS | evidence.own_titles
        ):
            return before.group(1)
    for field in doc.fields[:2]:
        text = doc.original[field[1] : field[2]]
        for found in PERSON.finditer(text):
            start, end = field[1] + found.start(), field[1] + found.end()
            if any(a < end and start < b for a, b in covered):
                continue
            words = {fold(w) for w in re.split(r"[ -]", found.group())}
            if words & evidence.tracked_words or words & _CUE_WORDS or words <= evidence.own_titles:
                continue
            return found.group()
    return None
