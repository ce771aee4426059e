"""Is this name the tracked person? The disambiguation policy.

Every candidate name hit gets a score; a subject is mentioned when one of its
candidates scores at least ``THRESHOLD`` (0.5). The score is a prior for how
the name was written plus the evidence in the item (``score_all``):

Prior (how specific the form is on its own)
  * full name: +2; a full alias: +1 (aliases are nicknames others share);
  * the full name written together or joined in the text (a handle, a
    hashtag, ``danareyes``), a configured handle or hashtag, or a disguised
    full name (spaced letters, leet, look-alike letters, hidden characters):
    +3, because nobody disguises a name by accident. In a URL a slug is just
    the page's name and counts as the plain name;
  * a one-edit misspelling, or the inverted name with a comma: +0.5; inverted
    without a comma -1;
  * generated initials (``D. Reyes``): -1, i.e. they need one tie; an
    initials alias the operator configured (``Dana R.``): 0, so one cue of
    abuse, threat or re-promotion aimed at it is enough;
  * surname alone: -2; first name alone: -3.5, i.e. two ties, never cue
    words alone. Weak forms written to evade get +1.

Ties to the subject (positive, item-wide)
  * one of the subject's ``context`` terms: +3 (+1.5 for a second one); a
    distinctive part of a ``known_content`` title: +2.5; for a part of the
    name alone, another part of her name elsewhere: +1.5;
  * the vocabulary of this product's domain (``lexicon``): re-promotion of
    adult content +2, sexual degradation +2, threats and doxxing +1.5,
    harassment or takedown advocacy +1.5, insults +1, +0.5 for each further
    distinct word of a category; capped at +3. For a part alone, only within
    30 words of it, and half when the item clearly names another subject.

Another identity (negative)
  * next to an occurrence of a full form, and then for every full form in
    the item (the item is about one person; the URL slug of a dentist's page
    is the dentist's): a role, honorific or kin word right before the name
    or in apposition after it (``librarian Dana Reyes``, ``Dana Reyes, a
    dentist``, ``Dr.``, ``my daughter``) -3; a place or institution word
    (``... Street``, ``Calle ...``) -4; an age in apposition (``Dana Reyes,
    34,``) -1.5; a list of other people's names -2; a longer name (``Dana
    Reyes Ortiz``, ``Dana Reyes-Whitfield``) -2;
  * item-wide: an obituary -3; a pet or a fictional character -2; a sports
    report (3+ sport-result words) -2.5; otherwise role, sport, politics or
    music words -0.75 each, capped at -1.5, so they never drop a full name
    on their own;
  * for a part of the name alone, only its own neighbourhood: after a
    capitalised word (``Carlos Reyes``) -3, before one (``Reyes Magos``)
    -2.5, after an article or preposition (``Día de Reyes``, ``safe
    haven``) -2, lower case in cased text (``los campos``) -2.5;
  * the subject's ``exclude`` phrases remove the hits they cover outright.

The trade-off. A missed harassing mention is worse than a false benign one,
so the policy is asymmetric: a full name needs positive evidence of another
identity to be dropped, while a partial name needs positive evidence of the
subject to be kept. The same vocabulary that makes an item dangerous
(threats, slurs, re-promotion) is a tie to the subject, so clear abuse or
re-promotion aimed at a name outweighs a role word next to it
(``the librarian Dana Reyes is a porn slut`` is kept). What is lost: a
namesake in an abusive or sexual context is flagged (a false alert the
subject can dismiss); a partial name in a neutral item about her with no
context term is missed (``Reyes was interviewed today``); and a mention of
her inside a sports report with no context term can be read as a namesake
athlete. Full-name candidates of someone else are counted on their own by
``benchmarks/matching.py`` (the ``plain full-name candidates`` line).
"""

from __future__ import annotations

import dataclasses
import os
import re
import unicodedata

import numpy as np

from mentionwatch.matching import lexicon
from mentionwatch.matching.automaton import EMBEDDED, JOINED, PLAIN, SPACED, TOGETHER, Hit
from mentionwatch.matching.normalize import NormalizedText, fold
from mentionwatch.matching.variants import FULL, INITIALS, INVERTED, MISSPELLING, PARTIAL

THRESHOLD = 0.5

PRIOR_FULL = 2.0
PRIOR_ALIAS = 1.0
PRIOR_DISGUISED = 3.0
PRIOR = {MISSPELLING: 0.5, INVERTED: 0.5, INITIALS: -1.0}
PRIOR_CONFIGURED_INITIALS = 1.5
PRIOR_INVERTED_NO_COMMA = -1.0
PRIOR_SURNAME = -2.0
PRIOR_FIRST_NAME = -3.0
PRIOR_SCRIPT = 2.0  # a form the operator configured in another script
PRIOR_TRANSLITERATED = 1.0  # her full name read in another script (a sound-key match)
PRIOR_TITLE_LONG, PRIOR_TITLE_SHORT = 1.5, -0.5  # her known content without her name
TITLE_LONG_WORDS, TITLE_LONG_LETTERS = 3, 14
TITLE_OTHER_PERFORMER = -4.0  # her title beside other people's names: their content
PRIOR_TAG_PREFIX = -1.0  # her name starting another handle or hashtag: needs a tie
BUSINESS_NAME = -2.5  # "Kim's Korean Kitchen"
HOME = -1.5  # "Salma Carrick, 19, of Manchester": where another person lives
AFFILIATION = -2.5  # "Folake Bello (Texas Southern) wins the 400m"
CITATION = -2.5  # "N. Shah and R. Mehta (2021)"
SIGNATURE = (
    -1.5
)  # "— Dana R., Phoenix AZ" under a review: a configured initials form needs a tie there
DISGUISE_BONUS = 1.0  # for forms that are weak on their own but written to evade

CONTEXT, CONTEXT_MORE, TITLE, PARTS = 3.0, 1.5, 2.5, 1.5
ABOUT = 3.5  # the item comes from a source configured as being about her
CUES = {"adult": 2.0, "sexual": 2.0, "threat": 1.5, "advocacy": 1.5, "abuse": 1.0}
CUE_EXTRA = 0.5  # each further distinct word of a category
CUE_CAP = 3.0
CUE_WINDOW = 30  # words, for a part of the name alone

ROLE_NEXT = -3.0
ROLE_AFTER_WORDS = 4
SOFT = {"role": -0.75, "sport": -0.75, "politics": -0.75, "music": -0.75}
SOFT_CAP = -1.5  # words of another field never drop a full name on their own ...
SOFT_CAP_UNTIED = -2.5  # ... unless nothing in the item ties it to her (see score_all)
SPORTS_REPORT, SPORTS_REPORT_WORDS = -2.5, 3  # ... unless the item is a sports report
ANYWHERE = {"obituary": -3.0, "pet": -2.0, "fiction": -2.0}
PLACE = -4.0
AGE = -1.5
NAME_LIST = -2.0
LONGER_NAME_FULL, LONGER_NAME_BEFORE_PART, LONGER_NAME_AFTER_PART = -2.0, -3.0, -2.5
LOWERCASE_PART, FUNCTION_WORD_PART = -2.5, -2.0

FUNCTION_WORDS = frozenset(fold(w) for w in lexicon.FUNCTION_BEFORE.split())
# Courtesy titles before a surname ("Ms Bello", "Coach Song") say how she is addressed,
# not that the name goes on.
# Words that open a sentence before a surname ("Did Kalyna send ...", "Thanks Song!"):
# capitalised, but not a first name.
OPENERS = frozenset(
    """did does do is was has had can will would should could ask tell thank thanks love hi hey
    dear congrats congratulations shoutout so why how when where what who that this sorry also
    today yes no ok okay omg lol wow""".split()  # noqa: SIM905
)
COURTESY = frozenset(
    fold(w)
    for w in "ms mrs miss mx madam madame mme mlle frau sra srta senora senhora signora coach chef".split()  # noqa: SIM905
)
# Words that may stand between a name and a role in apposition ("Dana Reyes, a local librarian").
APPOSITION = frozenset(fold(w) for w in lexicon.APPOSITION.split())
_SENTENCE_BREAK = re.compile(r"[.!?;:()\[\]\n\"“”«»|]")
_AGE_AFTER = re.compile(
    r"^\s*(?:,\s*\d{1,3}\s*(?:[,.;)]|(?:years?|yrs?|años|ans|anos|jahre)\b)|\(\s*\d{1,3}\s*\)"
    r"|,\s*(?:age|aged|edad|âge|idade|alter)\s*\d)",
    re.IGNORECASE,
)
# An age before the name, in the languages and scripts of the sets ("12 წლის ქეთევან",
# "२२ वर्षीया रोजिना", "78-летняя"); \d matches every script's digits.
_AGE_BEFORE = re.compile(
    r"\d{1,3}[- ]?(?:year|años|ans|anos|jährige|jarige|anni|enne|lat|лет|годовал|летн|वर्ष|წლის|عام|سنة"
    r"|yaşında|tuổi|歳|岁|세|ετών|χρον)",
    re.IGNORECASE,
)
_PERSON = re.compile(r"\b[A-ZÀ-Þ][a-zß-ÿ]+(?:[ -][A-ZÀ-Þ][a-zß-ÿ]+)+\b")
_LIST_JOINERS = re.compile(r"\s*(?:[,;\n]|\b(?:and|y|et|e|und)\b|&)\s*")


@dataclasses.dataclass
class Doc:
    """One item as matching sees it: title, body and URL joined, folded, keyed.

    The title and the body are joined by a newline (a name split across them
    still matches), the URL by a paragraph break (it never joins the body).
    """

    original: str
    norm: NormalizedText
    keys: bytes  # key_bytes(norm.text): one byte per folded character
    fields: tuple[tuple[str, int, int], ...]
    _starts: np.ndarray | None = None
    _ends: np.ndarray | None = None

    def _index_words(self) -> None:
        if self._starts is None:
            letters = np.frombuffer(self.keys, np.uint8) != 32
            shifted = np.concatenate(([False], letters[:-1]))
            self._starts = np.flatnonzero(letters & ~shifted)
            self._ends = np.flatnonzero(letters & ~np.concatenate((letters[1:], [False]))) + 1

    def word_count(self) -> int:
        self._index_words()
        return len(self._starts)

    def word(self, index: int) -> tuple[int, int]:
        """Folded ``[start, end)`` of word ``index`` (words are runs of key letters)."""
        return int(self._starts[index]), int(self._ends[index])

    def word_at(self, position: int) -> int:
        """Index of the first word that starts at or after ``position``."""
        self._index_words()
        return int(np.searchsorted(self._starts, position))

    def words_at(self, positions: list[int]) -> list[int]:
        self._index_words()
        return np.searchsorted(self._starts, positions).tolist()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.norm.original_span(start, end)

    def field_at(self, original: int) -> tuple[str, int, int]:
        for field in self.fields:
            if field[1] <= original < field[2] or original == field[2]:
                return field
        return self.fields[-1]

    def casing(self, field: tuple[str, int, int], start: int, end: int) -> tuple[bool, bool]:
        """Around ``[start, end)`` of ``field``: (cased: capitals are used at all,
        headline: most words are capitalised)."""
        window = self.original[max(field[1], start - 300) : min(field[2], end + 300)]
        words = re.findall(r"[^\W\d_]{2,}", window)
        upper = sum(1 for w in words if w[0].isupper())
        return upper > 0 and upper < len(words), bool(words) and upper >= 0.6 * len(words)


@dataclasses.dataclass
class Evidence:
    """Everything found in one item that concerns one subject."""

    names: list[Hit]
    context: list[Hit]
    titles: list[Hit]
    cues: list[tuple[Hit, int, int]]  # each cue with the word index at its start and at its end
    other_subject_named: bool
    tracked_words: frozenset[str] = frozenset()  # name words of every subject (not "other people")
    about: bool = False  # the item's source is configured as being about her
    own_context: frozenset[str] = frozenset()  # the words of her context terms
    own_titles: frozenset[str] = frozenset()  # the words of her known titles (stage names too)


@dataclasses.dataclass(frozen=True)
class Scored:
    """A candidate's score. ``negative``: something said it is someone or something else."""

    hit: Hit
    score: float
    reasons: tuple[str, ...]
    negative: bool


class _Tally:
    def __init__(self) -> None:
        self.total = 0.0
        self.reasons: list[str] = []
        self.negative = False

    def add(self, value: float, reason: str, evidence: bool = True) -> None:
        self.total += value
        self.reasons.append(f"{reason} {value:+.1f}")
        if value < 0 and evidence:
            self.negative = True


def score_all(evidence: Evidence, doc: Doc, own_words: frozenset[str]) -> list[Scored]:
    """Scores every candidate of one subject in one item.

    Ties and item-wide cues count once for the item. What is found next to
    one occurrence of a full name form (a role, an honorific, a place, a
    longer name, an age) is evidence about *who* the item names and applies
    to every full form of the name in the item: the URL slug of a dentist's
    page is the dentist's. Evidence next to a part of the name alone (``la
    Fontaine``) only concerns that part.
    """
    shared = _Tally()
    contexts = {h.term.label for h in evidence.context}
    # A context term in the text (not only in the URL, where it can be another account).
    stated = _stated(evidence, doc)
    if contexts:
        shared.add(
            CONTEXT + CONTEXT_MORE * (len(contexts) > 1), "context " + "/".join(sorted(contexts))
        )
    if evidence.titles and not all(h.term.payload.kind == "known_content" for h in evidence.names):
        shared.add(TITLE, "known content")
    if evidence.about:
        shared.add(ABOUT, "source about her")
    soft = 0.0
    soft_words = 0
    anywhere: set[str] = set()
    sport_words: set[str] = set()
    for cue, _, _ in evidence.cues:
        category = cue.term.label
        if _inside(cue, evidence.context) or any(
            cue.start < h.end and h.start < cue.end for h in evidence.names
        ):
            continue
        if category in SOFT and (
            stated or evidence.about or own_field(cue.term.words, evidence.own_context)
        ):
            continue  # her own field ("coach" for a skating coach), or beside her employer
        if category == "sport":
            sport_words.add(cue.term.words)
        elif category in SOFT:
            soft += SOFT[category]
            soft_words += 1
        elif category in ANYWHERE and category not in anywhere:
            if category != "obituary" and (
                stated or evidence.about or own_field(cue.term.words, evidence.own_context)
            ):
                continue  # a vet's puppies, an actress's roles: her world, not a pet or a character
            anywhere.add(category)
            shared.add(ANYWHERE[category], category)
    if len(sport_words) >= SPORTS_REPORT_WORDS:
        shared.add(SPORTS_REPORT, f"a sports report ({len(sport_words)} sport words)")
    else:
        soft += SOFT["sport"] * len(sport_words)
        soft_words += len(sport_words)
    if soft:
        # Words of another field only drop a full name when two or more of them
        # describe the item and nothing in it ties it to her: no context term, no
        # known content, no source about her, no cue of harassment or re-promotion.
        tied = (
            contexts
            or evidence.titles
            or evidence.about
            or any(c.term.label in CUES for c, _, _ in evidence.cues)
        )
        cap = SOFT_CAP if tied or soft_words < 2 else SOFT_CAP_UNTIED
        shared.add(max(soft, cap), "words of another field (role/sport/politics/music)")

    local = {id(h): _local(h, evidence, doc, own_words) for h in evidence.names}
    identity: dict[str, tuple[float, str]] = {}
    for hit in evidence.names:
        if hit.term.payload.strength != PARTIAL:
            for kind, (value, reason) in local[id(hit)].items():
                if value < identity.get(kind, (0.0, ""))[0]:
                    identity[kind] = (value, reason)
    out = []
    for hit in evidence.names:
        tally = _Tally()
        prior, why = _prior(hit, doc)
        tally.add(prior, why, evidence=False)
        tally.total += shared.total
        tally.reasons += shared.reasons
        tally.negative |= shared.negative
        partial = hit.term.payload.strength == PARTIAL
        for value, reason in (local[id(hit)] if partial else identity).values():
            tally.add(value, reason)
        if hit.term.payload.kind == "known_content":
            other = _other_performer(doc, evidence)
            if other:
                tally.add(TITLE_OTHER_PERFORMER, f"beside another name '{other}'")
        cues = _cue_ties(hit, evidence, doc, partial)
        if cues:
            tally.add(*cues)
        if partial and any(
            h.term.payload.words != hit.term.payload.words
            and (h.end <= hit.start or h.start >= hit.end)
            for h in evidence.names
        ):
            tally.add(PARTS, "other name part")
        out.append(Scored(hit, tally.total, tuple(tally.reasons), tally.negative))
    return out


_ROLE_MODIFIERS = frozenset(fold(w) for w in lexicon.ROLE_MODIFIERS.split())
_PLACE_OF = frozenset(
    ("de", "of", "from", "du", "di", "da", "del", "della", "von", "van", "z", "iz")
)


def _role_gap(doc: Doc, after: int, first: int) -> bool:
    """Whether the words between a role and a name still make the role that name's:
    modifiers (``la conseillère municipale X``, ``city council member X``) or where the
    role is held (``la concejala de Valdivia X``), at most three words, no break."""
    if not 0 < first - after <= 3:
        return False
    start, end = doc.word(after)[0], doc.word(first - 1)[1]
    if _SENTENCE_BREAK.search(doc.norm.text[start:end]) or "," in doc.norm.text[start:end]:
        return False
    words = [doc.norm.text[slice(*doc.word(i))] for i in range(after, first)]
    if all(w in _ROLE_MODIFIERS for w in words):
        return True
    if words[0] in _PLACE_OF and len(words) > 1:
        o_start, _ = doc.original_span(*doc.word(after + 1))
        return doc.original[o_start].isupper()
    return False


def in_url(doc: Doc, hit: Hit) -> bool:
    return doc.field_at(doc.original_span(hit.start, hit.end)[0])[0] == "url"


def _stated(evidence: Evidence, doc: Doc) -> bool:
    """Whether one of her context terms is written in the text (a URL can be another account)."""
    return any(not in_url(doc, h) for h in evidence.context)


def own_field(words: tuple[str, ...], context_words: frozenset[str]) -> bool:
    """Whether a role or field word is the subject's own: it shares its stem with a word
    of her context terms (``realtor`` / ``Northshore Realty``, ``coach`` / ``skating
    coach``, ``nursing`` / ``nurse``), or is the initials of one of them (``RN`` /
    ``registered nurse``; the matcher adds those initials to her context words)."""
    return all(
        any(
            w == c
            or (len(os.path.commonprefix((w, c))) >= max(4, 0.8 * min(len(w), len(c))))
            or (len(w) >= 3 and c.startswith(w))  # "vet" / "veterinary"
            for c in context_words
        )
        for w in words
    )


def _other_performer(doc: Doc, evidence: Evidence) -> str | None:
    """A person's name (two capitalised words, none hers, none of the title) in an item
    that names her content without her name: it is likely that person's content."""
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
        for found in _PERSON.finditer(text):
            start, end = field[1] + found.start(), field[1] + found.end()
            if any(a < end and start < b for a, b in covered):
                continue
            words = {fold(w) for w in re.split(r"[ -]", found.group())}
            if words & evidence.tracked_words or words & _CUE_WORDS or words <= evidence.own_titles:
                continue
            return found.group()
    return None


_CUE_WORDS = frozenset(
    w
    for phrases in lexicon.cue_terms().values()
    for phrase in phrases
    for w in fold(phrase).split()
)


def partial_could_pass(
    hit: Hit, names: list[Hit], ties: list, doc: Doc, other_subject_named: bool
) -> bool:
    """Whether a part of the name, with no context term, could reach the threshold:
    its prior, the cue words near it and another part of the name, before any
    (negative-only) evidence about who it is."""
    evidence = Evidence(names, [], [], ties, other_subject_named)
    best = _prior(hit, doc)[0] + (_cue_ties(hit, evidence, doc, True) or (0.0, ""))[0]
    if any(
        h.term.payload.words != hit.term.payload.words
        and (h.end <= hit.start or h.start >= hit.end)
        for h in names
    ):
        best += PARTS
    return best >= THRESHOLD


def _inside(cue: Hit, hits: list[Hit]) -> bool:
    return any(h.start <= cue.start < h.end for h in hits)


def _cue_ties(hit: Hit, evidence: Evidence, doc: Doc, partial: bool) -> tuple[float, str] | None:
    """Cue words that tie the item to the subject's world: a category's weight for
    its first word, ``CUE_EXTRA`` for each further distinct word, capped."""
    words: dict[str, set[tuple[str, ...]]] = {}
    first_word = doc.word_at(hit.start)
    for cue, cue_first, _ in evidence.cues:
        category = cue.term.label
        if category not in CUES or _inside(cue, evidence.context):
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


def _prior(hit: Hit, doc: Doc) -> tuple[float, str]:
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


# What may follow a name inside a handle or hashtag and still be her ("#DanaReyesLeak"):
# the vocabulary of re-promotion. Anything else makes another account or tag
# ("@danareyes_art", "#DanaReyesFanclub2").
_TAG_TAILS = frozenset(
    """leak leaks leaked nude nudes xxx porn porno tape tapes sextape video videos vid vids clip
    clips full free uncensored onlyfans fansly nsfw hot sexy new link links""".split()  # noqa: SIM905
)
_TAG_CHARS = re.compile(r"[\w.\-]*")


_ACCOUNT_PAGES = frozenset(
    ("status", "statuses", "posts", "post", "video", "videos", "reel", "reels", "photos", "photo")
)


def _path_start(url: str) -> int:
    """Offset of the ``/`` that starts a URL's path, or -1 (the host is all there is)."""
    scheme = url.find("://")
    return url.find("/", scheme + 3 if scheme >= 0 else 0)


def _url_position(doc: Doc, hit: Hit) -> tuple[str, int, int] | None:
    """(the URL, the hit's offset in it, where its path starts) when the hit is in the URL."""
    start, _ = doc.original_span(hit.start, hit.end)
    field = doc.field_at(start)
    if field[0] != "url":
        return None
    url = doc.original[field[1] : field[2]]
    return url, start - field[1], _path_start(url)


def in_url_host(doc: Doc, hit: Hit) -> bool:
    """Whether the hit is in a URL's host (``tiktok.example``): the platform, not what the post says."""
    where = _url_position(doc, hit)
    return where is not None and (where[2] < 0 or where[1] < where[2])


def account_in_url(doc: Doc, hit: Hit) -> bool:
    """Whether the hit is the account segment of a social URL (``x.example/<account>/status/1``,
    ``/@<account>/video/2``): the poster, which says nothing about whom the post is about."""
    where = _url_position(doc, hit)
    if where is None:
        return False
    url, offset, path = where
    if path < 0 or offset <= path:
        return False
    segments = url[path + 1 :].split("?")[0].split("/")
    if not segments or len(segments[0]) < 2:
        return False
    if offset >= path + 1 + len(segments[0]):
        return False  # a later segment: a slug, a title
    return segments[0].startswith("@") or (
        len(segments) > 1 and segments[1].lower() in _ACCOUNT_PAGES
    )


def tag_prefix(doc: Doc, hit: Hit) -> bool:
    """Whether the hit only starts a longer handle or hashtag (``@danareyes_art``,
    ``#DanaReyesFanclub``) that does not go on with re-promotion words; in a URL, a
    name written together that starts a longer account name (``/@danareyescooks/``,
    ``/danareyes_photo/``; a slug with hyphens, ``/dana-reyes-interview``, is not one)."""
    before = doc.norm.text[hit.start - 1 : hit.start]
    after = doc.norm.text[hit.end : hit.end + 1]
    in_url = False
    if (not before or before.isspace()) and (not after or not (after.isalnum() or after == "_")):
        return False  # the common case, decided without mapping offsets
    start, end = doc.original_span(hit.start, hit.end)
    field = doc.field_at(start)
    if field[0] == "url":
        path = _path_start(doc.original[field[1] : field[2]])
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


def _local(
    hit: Hit, evidence: Evidence, doc: Doc, own_words: frozenset[str]
) -> dict[str, tuple[float, str]]:
    """Evidence next to this occurrence: kind -> (value, reason), the strongest of each kind."""
    found: dict[str, tuple[float, str]] = {}

    def put(kind: str, value: float, reason: str) -> None:
        if value < found.get(kind, (0.0, ""))[0]:
            found[kind] = (value, reason)

    partial = hit.term.payload.strength == PARTIAL
    first_word, after_word = doc.word_at(hit.start), doc.word_at(hit.end)
    stated = _stated(evidence, doc)
    for cue, cue_first, cue_after in evidence.cues:
        category = cue.term.label
        if _inside(cue, evidence.context) or (cue.start < hit.end and hit.start < cue.end):
            continue
        if category == "role" and (stated or own_field(cue.term.words, evidence.own_context)):
            # "the skating coach Mina Cho" is her when she is a skating coach, and a role
            # beside her employer or show describes her ("Song, coach at Blue Loon Arena").
            continue
        if (
            category in ("role", "honorific", "kin")
            and not (partial and category != "kin" and (evidence.about or stated))
            and cue.end <= hit.start
            and (
                cue_after == first_word
                or (category == "role" and _role_gap(doc, cue_after, first_word))
            )
        ):
            if "\n" not in doc.norm.text[cue.end : hit.start]:
                put(
                    "role",
                    ROLE_NEXT,
                    f"{category} '{cue.term.label if category == 'kin' else ' '.join(cue.term.words)}' before the name",
                )
        elif (
            category == "role"
            and cue.start >= hit.end
            and cue_first - after_word < ROLE_AFTER_WORDS
        ):
            between = [doc.norm.text[slice(*doc.word(i))] for i in range(after_word, cue_first)]
            gap = doc.norm.text[hit.end : cue.start]
            # After a comma the phrase is an apposition ("Dana Reyes, the chief
            # financial officer"): any modifiers may stand before the role.
            apposition = gap.lstrip().startswith(",") and not _SENTENCE_BREAK.search(gap)
            if "\n" not in gap and (
                apposition or all(w in APPOSITION or w.isdigit() for w in between)
            ):
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
    o_start, o_end = doc.original_span(hit.start, hit.end)
    field = doc.field_at(o_start)
    if field[0] != "url":
        _shape(hit, doc, field, o_start, o_end, partial, own_words, evidence.tracked_words, put)
        if not partial and hit.term.payload.kind != "known_content":
            _apposition(doc, field, o_end, evidence, put, hit.term.payload.strength == INITIALS)
    return found


def _shape(
    hit, doc: Doc, field, o_start: int, o_end: int, partial: bool, own_words, tracked, put
) -> None:
    """Evidence from how the name sits in the sentence (capitals, ages, lists)."""
    cased, headline = doc.casing(field, o_start, o_end)
    after = doc.original[o_end : o_end + 24]
    if _AGE_AFTER.search(after) or _AGE_BEFORE.search(
        doc.original[max(field[1], o_start - 16) : o_start]
    ):
        put("age", AGE, "age in apposition")
    window = doc.original[max(field[1], o_start - 160) : min(field[2], o_end + 160)]
    segments = [seg.strip(" .:!*-–—") for seg in _LIST_JOINERS.split(window)]
    people = [
        seg
        for seg in segments
        if _PERSON.fullmatch(seg) and not {fold(w) for w in re.split(r"[ -]", seg)} & tracked
    ]
    raw_name = doc.original[o_start:o_end]
    own_segment = any(seg.startswith(raw_name) or seg.endswith(raw_name) for seg in segments)
    if len(people) >= 2 and own_segment:
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


_PARENTHESIS = re.compile(r"^\s*\(([^()]{2,60})\)")
_HOME = re.compile(
    r"^\s*,\s*(?:\d{1,3}\s*,\s*)?(?:of|from|de|aus|di|da|van)\s+([A-Z][^\W\d_]+(?:[ -][A-Z][^\W\d_]+)?)"
)
_CITATION = re.compile(r"^[^.\n]{0,40}?(?:\bet al\b|\(\s*(?:19|20)\d\d[a-z]?\s*\))")


def _apposition(doc: Doc, field, o_end: int, evidence: Evidence, put, initials: bool) -> None:
    """What stands in parentheses or as a citation right after a full name: an
    affiliation that is not hers (``(Texas Southern)``, ``(Rutgers '26)``, ``(17, Seoul)``)
    or a reference list (``N. Shah and R. Mehta (2021)``) says another person."""
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


def _word_span(doc: Doc, hit: Hit, before: bool) -> tuple[int, int]:
    return doc.word(doc.word_at(hit.start) - 1 if before else doc.word_at(hit.end))
