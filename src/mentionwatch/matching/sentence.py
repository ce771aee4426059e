"""How a name sits in its sentence: ages, lists, capitals, longer names, parentheses.

Evidence read from the original text around one occurrence, with no cue
word needed: ``Dana Reyes, 34,`` (an age), a list of other people's names,
``Dana Reyes Ortiz`` or ``Reyes-Whitfield`` (a longer name), ``los campos``
(a surname in lower case), ``(Texas Southern)`` after the name (an
affiliation), ``N. Shah and R. Mehta (2021)`` (a citation). The weights are in
``weights``.
"""

from __future__ import annotations

import re

from mentionwatch.matching import lexicon
from mentionwatch.matching.automaton import PLAIN, Hit
from mentionwatch.matching.evidence import PERSON, Doc, Evidence
from mentionwatch.matching.normalize import fold
from mentionwatch.matching.roles import Put
from mentionwatch.matching.variants import INITIALS, PARTIAL
from mentionwatch.matching.weights import (
    AFFILIATION,
    AGE,
    BUSINESS_NAME,
    CITATION,
    FUNCTION_WORD_PART,
    HOME,
    LONGER_NAME_AFTER_PART,
    LONGER_NAME_BEFORE_PART,
    LONGER_NAME_FULL,
    LOWERCASE_PART,
    NAME_LIST,
    SIGNATURE,
)

Field = tuple[str, int, int]

FUNCTION_WORDS = frozenset(fold(w) for w in lexicon.FUNCTION_BEFORE.split())
# Words that open a sentence before a surname ("Did Kalyna send ...", "Thanks Song!"):
# capitalised, but not a first name.
OPENERS = frozenset(
    """did does do is was has had can will would should could ask tell thank thanks love hi hey
    dear congrats congratulations shoutout so why how when where what who that this sorry also
    today yes no ok okay omg lol wow""".split()  # noqa: SIM905
)
# Courtesy titles before a surname ("Ms Bello", "Coach Song") say how she is addressed,
# not that the name goes on.
COURTESY = frozenset(
    fold(w)
    for w in (
        "ms",
        "mrs",
        "miss",
        "mx",
        "madam",
        "madame",
        "mme",
        "mlle",
        "frau",
        "sra",
        "srta",
        "senora",
        "senhora",
        "signora",
        "coach",
        "chef",
    )
)
_AGE_AFTER = re.compile(
    r"^\s*(?:,\s*\d{1,3}\s*(?:[,.;)]|(?:years?|yrs?|años|ans|anos|jahre)\b)|\(\s*\d{1,3}\s*\)"
    r"|,\s*(?:age|aged|edad|âge|idade|alter)\s*\d)",
    re.IGNORECASE,
)
# An age before the name, in the languages and scripts of the sets ("12 წლის ქეთევან",
# "२२ वर्षीया रोजिना", "78-летняя"); \d matches every script's digits.
_AGE_BEFORE = re.compile(
    r"\d{1,3}[- ]?(?:year|años|ans|anos|jährige|jarige|anni|enne|lat|лет|годовал|летн|वर्ष|წლის"
    r"|عام|سنة|yaşında|tuổi|歳|岁|세|ετών|χρον)",
    re.IGNORECASE,
)
_LIST_JOINERS = re.compile(r"\s*(?:[,;\n]|\b(?:and|y|et|e|und)\b|&)\s*")
_PARENTHESIS = re.compile(r"^\s*\(([^()]{2,60})\)")
_HOME = re.compile(
    r"^\s*,\s*(?:\d{1,3}\s*,\s*)?(?:of|from|de|aus|di|da|van)\s+"
    r"([A-Z][^\W\d_]+(?:[ -][A-Z][^\W\d_]+)?)"
)
_CITATION = re.compile(r"^[^.\n]{0,40}?(?:\bet al\b|\(\s*(?:19|20)\d\d[a-z]?\s*\))")


def sentence_shape(
    hit: Hit,
    doc: Doc,
    field: Field,
    span: tuple[int, int],
    own_words: frozenset[str],
    tracked: frozenset[str],
    put: Put,
) -> None:
    """Puts evidence from how the name at original ``span`` of ``field`` sits in its sentence.

    Kinds: ``age``, ``list``, ``lowercase``, ``signature``, ``business``,
    ``function`` and ``longer`` (the last two only for a plain-written name).
    """
    o_start, o_end = span
    partial = hit.term.payload.strength == PARTIAL
    cased, headline = doc.casing(field, o_start, o_end)
    after = doc.original[o_end : o_end + 24]
    if _AGE_AFTER.search(after) or _AGE_BEFORE.search(
        doc.original[max(field[1], o_start - 16) : o_start]
    ):
        put("age", AGE, "age in apposition")
    if _in_list_of_people(doc, field, o_start, o_end, tracked):
        put("list", NAME_LIST, "in a list of other people")
    raw = doc.original[o_start:o_end]
    if partial and cased and not headline and raw[:1].islower():
        put("lowercase", LOWERCASE_PART, "lower case")
    if hit.term.payload.strength == INITIALS and re.search(
        r"(?:^|\s)[-–—~]\s*$", doc.original[max(field[1], o_start - 8) : o_start]
    ):
        put("signature", SIGNATURE, "a signature ('— Dana R.')")
    if (
        partial
        and hit.term.payload.kind == "first_name"
        and not headline
        and re.match(r"['’]s\s+[A-Z]\w+", doc.original[o_end : o_end + 30])
    ):
        put("business", BUSINESS_NAME, "a business name ('<name>'s <Name>')")
    if hit.form != PLAIN or hit.leet:
        return  # a hashtag, a handle or a disguised name is one token of its own
    _neighbours(hit, doc, partial, headline, own_words, put)


def _in_list_of_people(
    doc: Doc, field: Field, o_start: int, o_end: int, tracked: frozenset[str]
) -> bool:
    """Whether the name is one entry of a list with two or more other people's names."""
    window = doc.original[max(field[1], o_start - 160) : min(field[2], o_end + 160)]
    segments = [seg.strip(" .:!*-–—") for seg in _LIST_JOINERS.split(window)]
    people = [
        seg
        for seg in segments
        if PERSON.fullmatch(seg) and not {fold(w) for w in re.split(r"[ -]", seg)} & tracked
    ]
    raw_name = doc.original[o_start:o_end]
    own_segment = any(seg.startswith(raw_name) or seg.endswith(raw_name) for seg in segments)
    return len(people) >= 2 and own_segment


def _neighbours(
    hit: Hit, doc: Doc, partial: bool, headline: bool, own_words: frozenset[str], put: Put
) -> None:
    """Puts a longer name (a capitalised word joined before/after) or a function word before."""
    for before in (True, False):
        found = _neighbour(doc, hit, before)
        if found is None:
            continue
        word, joint, _ = found
        folded = fold(word)
        if joint == "space" and before and partial and folded in FUNCTION_WORDS:
            put("function", FUNCTION_WORD_PART, f"after '{word}'")
            continue
        if (
            joint is None
            or not _is_capitalised_word(word)
            or folded in own_words
            or folded in COURTESY
            or (before and folded in OPENERS)
        ):
            continue
        if headline and joint != "hyphen":
            continue  # "Dana Reyes Leaked Full Video": capitals say nothing in a headline
        if before:
            # Before a full name, a capitalised word is as often a German noun or a
            # title ("Kinderbuchillustratorin Maëlys Fontaine") as a first name: only
            # a hyphen ("Ruiz-Dana Reyes") counts there.
            if partial:
                put("longer", LONGER_NAME_BEFORE_PART, f"after '{word}'")
            elif joint == "hyphen":
                put("longer", LONGER_NAME_FULL, f"after '{word}'")
        else:
            put(
                "longer",
                LONGER_NAME_AFTER_PART if partial else LONGER_NAME_FULL,
                f"before '{word}'",
            )


def apposition(
    doc: Doc, field: Field, o_end: int, evidence: Evidence, put: Put, initials: bool
) -> None:
    """Puts what stands in parentheses, as a home town or as a citation right after a full name.

    An affiliation that is not hers (``(Texas Southern)``, ``(Rutgers '26)``,
    ``(17, Seoul)``), where another person lives (``, 19, of Manchester``) or a
    reference list (``N. Shah and R. Mehta (2021)``) says another person.
    """
    after = doc.original[o_end : min(field[2], o_end + 64)]
    found = _PARENTHESIS.match(after)
    if found:
        inside = found.group(1)
        # Words that can say whose affiliation it is ("de" in "guía de montaña" cannot).
        words = {fold(w) for w in re.findall(r"[^\W\d_]{4,}", inside)} - FUNCTION_WORDS
        marked = any(c.isdigit() for c in inside) or any(w[:1].isupper() for w in inside.split())
        theirs = words & (evidence.own_context | evidence.own_titles | evidence.tracked_words)
        if marked and not theirs and not inside.strip().startswith(("@", "#", "http")):
            put("affiliation", AFFILIATION, f"'({inside.strip()[:30]})' after the name")
    home = _HOME.match(after)
    if home and not {fold(w) for w in re.findall(r"[^\W\d_]+", home.group(1))} & (
        evidence.own_context | evidence.tracked_words
    ):
        put("home", HOME, f"of '{home.group(1)}'")
    citation = _CITATION.match(after)
    if citation and (initials or "et al" in citation.group()):
        put("citation", CITATION, "a citation")


def _neighbour(doc: Doc, hit: Hit, before: bool) -> tuple[str, str | None, int] | None:
    """The word right before/after the hit: (original text, how it is joined, folded start).

    Joined by ``"space"`` (only spaces between), ``"hyphen"`` (one hyphen, no
    space: ``Reyes-Whitfield``) or not at all (``None``: punctuation, another
    script, a line break).
    """
    index = doc.word_at(hit.start) - 1 if before else doc.word_at(hit.end)
    if not 0 <= index < doc.word_count():
        return None
    start, end = doc.word(index)
    between = doc.norm.text[end : hit.start] if before else doc.norm.text[hit.end : start]
    joint = (
        "space"
        if between.isspace() and "\n" not in between
        else "hyphen"
        if between == "-"
        else None
    )
    o_start, o_end = doc.original_span(start, end)
    return doc.original[o_start:o_end], joint, start


def _is_capitalised_word(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and letters[0].isupper() and not all(c.isupper() for c in letters)
