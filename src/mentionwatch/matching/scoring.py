"""The score of every candidate of one subject in one item (the policy is in ``weights``).

``score_all`` adds, for each candidate, its prior (``priors``), the ties and
item-wide words counted once for the item, the evidence about who the item
names (``roles``, ``sentence``) and the cue words near it (``ties``);
``partial_could_pass`` is the cheap early test the matcher runs for a part of
the name with nothing else in the item.
"""

from __future__ import annotations

import dataclasses

from mentionwatch.matching.automaton import Hit
from mentionwatch.matching.evidence import Doc, Evidence, inside
from mentionwatch.matching.priors import prior
from mentionwatch.matching.roles import roles_and_places
from mentionwatch.matching.sentence import apposition, sentence_shape
from mentionwatch.matching.ties import cue_ties, other_name_part, other_performer, own_field, stated
from mentionwatch.matching.variants import INITIALS, PARTIAL
from mentionwatch.matching.weights import (
    ABOUT,
    ANYWHERE,
    CONTEXT,
    CONTEXT_MORE,
    CUES,
    PARTS,
    SOFT,
    SOFT_CAP,
    SOFT_CAP_UNTIED,
    SPORTS_REPORT,
    SPORTS_REPORT_WORDS,
    THRESHOLD,
    TITLE,
    TITLE_OTHER_PERFORMER,
)

Local = dict[str, tuple[float, str]]
"""Evidence next to one occurrence: kind -> (value, reason), the strongest of each kind."""


@dataclasses.dataclass(frozen=True)
class Scored:
    """A candidate's score. ``negative``: something said it is someone or something else."""

    hit: Hit
    score: float
    reasons: tuple[str, ...]
    negative: bool


class _Tally:
    """A running score with its reasons; ``negative`` once evidence counted against it."""

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
    shared = _item_wide(evidence, doc)
    local = {id(h): local_evidence(h, evidence, doc, own_words) for h in evidence.names}
    identity: Local = {}
    for hit in evidence.names:
        if hit.term.payload.strength != PARTIAL:
            for kind, (value, reason) in local[id(hit)].items():
                if value < identity.get(kind, (0.0, ""))[0]:
                    identity[kind] = (value, reason)
    return [
        _score_one(hit, evidence, doc, shared, local[id(hit)], identity) for hit in evidence.names
    ]


def _score_one(
    hit: Hit, evidence: Evidence, doc: Doc, shared: _Tally, local: Local, identity: Local
) -> Scored:
    """One candidate: its prior, the item-wide tally, who it is, its cue words, other parts."""
    tally = _Tally()
    value, why = prior(hit, doc)
    tally.add(value, why, evidence=False)
    tally.total += shared.total
    tally.reasons += shared.reasons
    tally.negative |= shared.negative
    partial = hit.term.payload.strength == PARTIAL
    for value, reason in (local if partial else identity).values():
        tally.add(value, reason)
    if hit.term.payload.kind == "known_content":
        other = other_performer(doc, evidence)
        if other:
            tally.add(TITLE_OTHER_PERFORMER, f"beside another name '{other}'")
    cues = cue_ties(hit, evidence, doc, partial)
    if cues:
        tally.add(*cues)
    if partial and other_name_part(hit, evidence.names):
        tally.add(PARTS, "other name part")
    return Scored(hit, tally.total, tuple(tally.reasons), tally.negative)


def _item_wide(evidence: Evidence, doc: Doc) -> _Tally:
    """The tally that counts once for the item, whichever candidate it is added to.

    Her context terms, her known content, a source about her, and words of an
    obituary, a pet, fiction, a sports report or another field.
    """
    shared = _Tally()
    contexts = {h.term.label for h in evidence.context}
    if contexts:
        shared.add(
            CONTEXT + CONTEXT_MORE * (len(contexts) > 1), "context " + "/".join(sorted(contexts))
        )
    if evidence.titles and not all(h.term.payload.kind == "known_content" for h in evidence.names):
        shared.add(TITLE, "known content")
    if evidence.about:
        shared.add(ABOUT, "source about her")
    _other_fields(evidence, doc, shared, bool(contexts))
    return shared


def _other_fields(evidence: Evidence, doc: Doc, shared: _Tally, has_context: bool) -> None:
    """Adds item-wide words of another identity to ``shared``.

    An obituary, a pet or fiction count once each; three sport words make a
    sports report; other role, sport, politics or music words are capped so
    that they only drop a full name when nothing in the item ties it to her.
    """
    # A context term in the text (not only in the URL, where it can be another account).
    her_world = stated(evidence, doc) or evidence.about
    soft = 0.0
    soft_words = 0
    anywhere: set[str] = set()
    sport_words: set[str] = set()
    for cue, _, _ in evidence.cues:
        category = cue.term.label
        if inside(cue, evidence.context) or any(
            cue.start < h.end and h.start < cue.end for h in evidence.names
        ):
            continue
        if category in SOFT and (her_world or own_field(cue.term.words, evidence.own_context)):
            continue  # her own field ("coach" for a skating coach), or beside her employer
        if category == "sport":
            sport_words.add(cue.term.words)
        elif category in SOFT:
            soft += SOFT[category]
            soft_words += 1
        elif category in ANYWHERE and category not in anywhere:
            if category != "obituary" and (
                her_world or own_field(cue.term.words, evidence.own_context)
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
            has_context
            or evidence.titles
            or evidence.about
            or any(c.term.label in CUES for c, _, _ in evidence.cues)
        )
        cap = SOFT_CAP if tied or soft_words < 2 else SOFT_CAP_UNTIED
        shared.add(max(soft, cap), "words of another field (role/sport/politics/music)")


def local_evidence(hit: Hit, evidence: Evidence, doc: Doc, own_words: frozenset[str]) -> Local:
    """Evidence next to this occurrence of a name: the strongest (most negative) of each kind."""
    found: Local = {}

    def put(kind: str, value: float, reason: str) -> None:
        if value < found.get(kind, (0.0, ""))[0]:
            found[kind] = (value, reason)

    partial = hit.term.payload.strength == PARTIAL
    roles_and_places(hit, evidence, doc, partial, put)
    o_start, o_end = doc.original_span(hit.start, hit.end)
    field = doc.field_at(o_start)
    if field[0] != "url":
        sentence_shape(hit, doc, field, (o_start, o_end), own_words, evidence.tracked_words, put)
        if not partial and hit.term.payload.kind != "known_content":
            apposition(doc, field, o_end, evidence, put, hit.term.payload.strength == INITIALS)
    return found


def partial_could_pass(
    hit: Hit,
    names: list[Hit],
    ties: list[tuple[Hit, int, int]],
    doc: Doc,
    other_subject_named: bool,
) -> bool:
    """Whether a part of the name, with no context term, could reach the threshold.

    Counts its prior, the cue words near it and another part of the name,
    before any (negative-only) evidence about who it is.
    """
    evidence = Evidence(names, [], [], ties, other_subject_named)
    best = prior(hit, doc)[0] + (cue_ties(hit, evidence, doc, True) or (0.0, ""))[0]
    if other_name_part(hit, names):
        best += PARTS
    return best >= THRESHOLD
