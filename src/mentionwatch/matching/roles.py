"""Role, honorific, kin and place words beside one occurrence of a name.

``the librarian Dana Reyes``, ``Dana Reyes, a dentist``, ``Dr.``, ``my
daughter``, ``Dana Reyes Street``, ``Calle Dana Reyes``: words that say the
name is someone or something else. A role that is her own field, or any role
once one of her context terms is written in the item, says nothing. The
weights are in ``weights``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mentionwatch.matching import lexicon
from mentionwatch.matching.automaton import Hit
from mentionwatch.matching.evidence import Doc, Evidence, inside
from mentionwatch.matching.normalize import fold
from mentionwatch.matching.ties import own_field, stated
from mentionwatch.matching.weights import PLACE, ROLE_AFTER_WORDS, ROLE_NEXT

Put = Callable[[str, float, str], None]
"""Records local evidence: ``put(kind, value, reason)`` keeps the strongest of each kind."""

# Words that may stand between a name and a role in apposition ("Dana Reyes, a local librarian").
APPOSITION = frozenset(fold(w) for w in lexicon.APPOSITION.split())
SENTENCE_BREAK = re.compile(r"[.!?;:()\[\]\n\"“”«»|]")
_ROLE_MODIFIERS = frozenset(fold(w) for w in lexicon.ROLE_MODIFIERS.split())
_PLACE_OF = frozenset(
    ("de", "of", "from", "du", "di", "da", "del", "della", "von", "van", "z", "iz")
)


def roles_and_places(hit: Hit, evidence: Evidence, doc: Doc, partial: bool, put: Put) -> None:
    """Puts the role and place words that make the hit someone or something else.

    Kind ``role``: a role, honorific or kin word right before the hit or a role
    in apposition after it; kind ``place``: a place word right after or before it.
    """
    first_word, after_word = doc.word_at(hit.start), doc.word_at(hit.end)
    is_stated = stated(evidence, doc)
    for cue, cue_first, cue_after in evidence.cues:
        category = cue.term.label
        if inside(cue, evidence.context) or (cue.start < hit.end and hit.start < cue.end):
            continue
        if category == "role" and (is_stated or own_field(cue.term.words, evidence.own_context)):
            # "the skating coach Mina Cho" is her when she is a skating coach, and a role
            # beside her employer or show describes her ("Song, coach at Blue Loon Arena").
            continue
        if (
            category in ("role", "honorific", "kin")
            and not (partial and category != "kin" and (evidence.about or is_stated))
            and cue.end <= hit.start
            and (
                cue_after == first_word
                or (category == "role" and _role_gap(doc, cue_after, first_word))
            )
        ):
            if "\n" not in doc.norm.text[cue.end : hit.start]:
                said = cue.term.label if category == "kin" else " ".join(cue.term.words)
                put("role", ROLE_NEXT, f"{category} '{said}' before the name")
        elif (
            category == "role"
            and cue.start >= hit.end
            and cue_first - after_word < ROLE_AFTER_WORDS
        ):
            if _role_in_apposition(doc, hit, cue, after_word, cue_first):
                put("role", ROLE_NEXT, f"role '{' '.join(cue.term.words)}' after the name")
        elif category == "place_after" and cue.start >= hit.end and cue_first == after_word:
            o_start, _ = doc.original_span(cue.start, cue.end)
            if doc.original[o_start].isupper() and "\n" not in doc.norm.text[hit.end : cue.start]:
                put("place", PLACE, f"place '{' '.join(cue.term.words)}' after")
        elif (
            category == "place_before"
            and cue.end <= hit.start
            and cue_after == first_word
            and "\n" not in doc.norm.text[cue.end : hit.start]
        ):
            put("place", PLACE, f"'{' '.join(cue.term.words)}' before")


def _role_in_apposition(doc: Doc, hit: Hit, cue: Hit, after_word: int, cue_first: int) -> bool:
    """Whether a role a few words after the name describes it (``Dana Reyes, a dentist``)."""
    between = [doc.norm.text[slice(*doc.word(i))] for i in range(after_word, cue_first)]
    gap = doc.norm.text[hit.end : cue.start]
    # After a comma the phrase is an apposition ("Dana Reyes, the chief
    # financial officer"): any modifiers may stand before the role.
    apposition = gap.lstrip().startswith(",") and not SENTENCE_BREAK.search(gap)
    return "\n" not in gap and (apposition or all(w in APPOSITION or w.isdigit() for w in between))


def _role_gap(doc: Doc, after: int, first: int) -> bool:
    """Whether the words between a role and a name still make the role that name's.

    Modifiers (``la conseillère municipale X``, ``city council member X``) or
    where the role is held (``la concejala de Valdivia X``), at most three
    words, no break.
    """
    if not 0 < first - after <= 3:
        return False
    start, end = doc.word(after)[0], doc.word(first - 1)[1]
    if SENTENCE_BREAK.search(doc.norm.text[start:end]) or "," in doc.norm.text[start:end]:
        return False
    words = [doc.norm.text[slice(*doc.word(i))] for i in range(after, first)]
    if all(w in _ROLE_MODIFIERS for w in words):
        return True
    if words[0] in _PLACE_OF and len(words) > 1:
        o_start, _ = doc.original_span(*doc.word(after + 1))
        return doc.original[o_start].isupper()
    return False
