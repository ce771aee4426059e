"""The prior of a candidate: how specific the way the name is written is on its own.

A full name is strong, a part of it weak; a name written together, as a
handle or hashtag, or disguised is stronger still (nobody disguises a name by
accident), unless it only starts someone else's handle or is the account in a
URL. The weights are in ``weights``.
"""

from __future__ import annotations

import re
import unicodedata

from mentionwatch.matching.automaton import EMBEDDED, JOINED, SPACED, TOGETHER, Hit
from mentionwatch.matching.evidence import Doc, account_in_url, path_start
from mentionwatch.matching.normalize import fold
from mentionwatch.matching.variants import FULL, PARTIAL
from mentionwatch.matching.weights import (
    DISGUISE_BONUS,
    PRIOR,
    PRIOR_ALIAS,
    PRIOR_CONFIGURED_INITIALS,
    PRIOR_DISGUISED,
    PRIOR_FIRST_NAME,
    PRIOR_FULL,
    PRIOR_INVERTED_NO_COMMA,
    PRIOR_SCRIPT,
    PRIOR_SURNAME,
    PRIOR_TAG_PREFIX,
    PRIOR_TITLE_LONG,
    PRIOR_TITLE_SHORT,
    PRIOR_TRANSLITERATED,
    TITLE_LONG_LETTERS,
    TITLE_LONG_WORDS,
)

# What may follow a name inside a handle or hashtag and still be her ("#DanaReyesLeak"):
# the vocabulary of re-promotion. Anything else makes another account or tag
# ("@danareyes_art", "#DanaReyesFanclub2").
_TAG_TAILS = frozenset(
    """leak leaks leaked nude nudes xxx porn porno tape tapes sextape video videos vid vids clip
    clips full free uncensored onlyfans fansly nsfw hot sexy new link links""".split()  # noqa: SIM905
)
_TAG_CHARS = re.compile(r"[\w.\-]*")


def prior(hit: Hit, doc: Doc) -> tuple[float, str]:
    """The candidate's prior and the reason shown for it."""
    variant = hit.term.payload
    if variant.kind == "script":
        return PRIOR_SCRIPT, "configured form in another script"
    if variant.kind == "transliteration":
        if hit.form == "approximate":
            return PRIOR_TRANSLITERATED - 0.5, "name in another script, one sound off"
        return PRIOR_TRANSLITERATED, "name in another script"
    if variant.kind == "known_content":
        long = (
            len(variant.words) >= TITLE_LONG_WORDS
            or sum(map(len, variant.words)) >= TITLE_LONG_LETTERS
        )
        return (PRIOR_TITLE_LONG if long else PRIOR_TITLE_SHORT), "her known content, no name"
    if tag_prefix(doc, hit):
        return PRIOR_TAG_PREFIX, f"{variant.kind} starting a longer tag (another account or tag?)"
    if account_in_url(doc, hit):
        return PRIOR_TAG_PREFIX, "the account in the URL (who posted, not whom it is about)"
    disguised = hit.form == SPACED or hit.leet or _looks_disguised(hit, doc)
    in_url = doc.field_at(doc.original_span(hit.start, hit.end)[0])[0] == "url"
    # Written together in the text (a handle, a hashtag, "danareyes"); in a URL that is just a slug.
    written_together = hit.form in (TOGETHER, JOINED, EMBEDDED) and not in_url
    if variant.kind == "inverted" and not _comma_inside(hit, doc):
        return PRIOR_INVERTED_NO_COMMA, "inverted, no comma"
    if variant.strength == FULL:
        if (variant.kind in ("handle", "hashtag") and not in_url) or disguised or written_together:
            return PRIOR_DISGUISED, f"{variant.kind} {hit.form}{' disguised' if disguised else ''}"
        return (
            PRIOR_FULL if variant.kind in ("name", "handle", "hashtag") else PRIOR_ALIAS
        ), variant.kind
    if variant.strength == PARTIAL:
        base = PRIOR_SURNAME if variant.kind == "surname" else PRIOR_FIRST_NAME
    elif variant.kind == "alias":
        # The operator wrote this initials form ("Dana R."): it is how people
        # refer to her, so any abuse, threat or re-promotion aimed at it ties
        # it to her; a bare signature ("- Dana R., Phoenix") still does not.
        base = PRIOR_CONFIGURED_INITIALS
    else:
        base = PRIOR[variant.strength]
    if disguised or written_together:
        base += DISGUISE_BONUS
    return base, f"{variant.kind}{' disguised' if disguised else ''}"


def tag_prefix(doc: Doc, hit: Hit) -> bool:
    """Whether the hit only starts a longer handle or hashtag.

    ``@danareyes_art`` or ``#DanaReyesFanclub``, not going on with
    re-promotion words; in a URL, a name written together that starts a longer
    account name (``/@danareyescooks/``, ``/danareyes_photo/``; a slug with
    hyphens, ``/dana-reyes-interview``, is not one).
    """
    before = doc.norm.text[hit.start - 1 : hit.start]
    after = doc.norm.text[hit.end : hit.end + 1]
    in_url = False
    if (not before or before.isspace()) and (not after or not (after.isalnum() or after == "_")):
        return False  # the common case, decided without mapping offsets
    start, end = doc.original_span(hit.start, hit.end)
    field = doc.field_at(start)
    if field[0] == "url":
        path = path_start(doc.original[field[1] : field[2]])
        if path < 0 or start - field[1] < path:
            return False  # in the host: a domain is a site named after her, not an account
        if hit.form not in (TOGETHER, EMBEDDED) or doc.original[start - 1 : start] not in (
            "/",
            "@",
            "=",
        ):
            return False
        in_url = True
    else:
        left = start
        while left > 0 and (doc.original[left - 1].isalnum() or doc.original[left - 1] in "_.-"):
            left -= 1
        if left == 0 or doc.original[left - 1] not in "@#":
            return False
    tail = _TAG_CHARS.match(doc.original, end).group().rstrip(".-")
    if in_url:
        tail = tail.lstrip(".-")  # "palomarobles.ceramica": the segment goes on after a dot
    if not tail:
        return False
    words = [w for w in re.split(r"[_.\-]+|(?<=[a-z])(?=[A-Z])|(?<=\D)(?=\d)", tail) if w]
    return not all(fold(w) in _TAG_TAILS for w in words)


def _comma_inside(hit: Hit, doc: Doc) -> bool:
    return "," in doc.norm.text[hit.start : hit.end]


def _looks_disguised(hit: Hit, doc: Doc) -> bool:
    start, end = doc.original_span(hit.start, hit.end)
    raw = doc.original[start:end]
    if len(raw) > hit.end - hit.start and any(
        unicodedata.category(c) == "Cf" or c == "\u00ad" for c in raw
    ):
        return True
    return any(ord(c) >= 0x370 and c.isalpha() or unicodedata.category(c) == "So" for c in raw)
