"""Finding tracked subjects in an item.

``SubjectMatcher`` is a pure object built once per worker from the subject
specs. ``match(item)`` looks at the title, the body and the URL of the item
and returns one ``Mention`` per subject found, with the spans that matched in
the original (un-normalised) text of each field.

How (each step has its own module):

1. ``normalize``: the title, the body and the URL are joined into one
   document and folded (NFKC, case, accents, look-alikes, invisible
   characters) with a map back to the original offsets; ``key_text`` reads
   leetspeak and turns separators into spaces.
2. ``variants``: every name form of every subject is generated from the
   config (initials, inverted, misspellings, parts), and together with the
   context terms, excluded phrases, known-content titles and the cue lexicon
   compiled into ``automaton.TermIndex``: one pass over the document finds
   all of them, whatever the number of subjects.
3. ``scoring`` (the policy and its weights in ``weights``): each candidate
   name is scored from how it was written and the evidence around it;
   excluded phrases remove the hits they cover.

The non-mention path (no name form of any subject in the item, which is
nearly every item) costs the fold and one automaton pass; the cue lexicon is
only scanned for items with a candidate.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Sequence

from mentionwatch.matching.automaton import EMBEDDED, JOINED, TOGETHER, Hit, TermIndex
from mentionwatch.matching.evidence import (
    Doc,
    Evidence,
    account_in_url,
    document,
    in_url,
    in_url_host,
)
from mentionwatch.matching.normalize import fold
from mentionwatch.matching.scoring import Scored, partial_could_pass, score_all
from mentionwatch.matching.scripts import ScriptIndex
from mentionwatch.matching.terms import as_known_content, subject_terms
from mentionwatch.matching.variants import (
    MISSPELLING,
    PARTIAL,
    Variant,
    generate,
    split_name,
    words_of,
)
from mentionwatch.matching.weights import CUES, THRESHOLD
from mentionwatch.records import Item, Mention, Span
from mentionwatch.subjects import SubjectSpec

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 32  # per subject and item


def variants(subject: SubjectSpec) -> dict[str, str]:
    """Folded variant → how it was derived (``name``, ``alias``, ``handle``, ``initials`` ...)."""
    return {v.text: v.kind for v in generate(subject)}


class SubjectMatcher:
    """Matches every subject in one pass per item.

    Picklable and cheap to send: only the subject specs travel; the automata
    are built on first use (in ``DoFn.setup`` for a pipeline).
    """

    def __init__(self, subjects: Sequence[SubjectSpec]):
        self._subjects = tuple(subjects)
        self._index: TermIndex | None = None
        self._ties: TermIndex | None = None
        self._others: TermIndex | None = None
        self._scripts: ScriptIndex | None = None
        self._own_words: list[frozenset[str]] = []
        self._context_words: list[frozenset[str]] = []
        self._title_words: list[frozenset[str]] = []
        self._tracked_words: frozenset[str] = frozenset()

    def __getstate__(self):
        return {"subjects": self._subjects}

    def __setstate__(self, state):
        self.__init__(state["subjects"])

    @property
    def subjects(self) -> tuple[SubjectSpec, ...]:
        """The subject specs, in the order their indices refer to."""
        return self._subjects

    def build(self) -> SubjectMatcher:
        """Builds the automata now (otherwise done on the first ``match``)."""
        if self._index is None:
            terms, cues = subject_terms(self._subjects)
            self._index = TermIndex(terms)
            self._ties = TermIndex([c for c in cues if c.label in CUES])
            self._others = TermIndex([c for c in cues if c.label not in CUES])
            self._scripts = ScriptIndex(self._subjects)
            self._own_words = [
                frozenset(w for v in generate(s) for w in v.words) | frozenset(words_of(s.name))
                for s in self._subjects
            ]
            self._title_words = [
                frozenset(w for k in s.known_content for w in words_of(k.title))
                for s in self._subjects
            ]
            # Her field: her context terms, and the titles in her own aliases ("Dr. Nila R.").
            self._context_words = [
                frozenset(w for phrase in (*s.context, *s.aliases) for w in words_of(phrase))
                | {
                    "".join(w[0] for w in words_of(phrase))
                    for phrase in s.context
                    if len(words_of(phrase)) >= 2
                }
                for s in self._subjects
            ]
            self._tracked_words = (
                frozenset().union(*self._own_words) if self._own_words else frozenset()
            )
            logger.debug("matcher built: %s subjects, %s terms", len(self._subjects), len(terms))
        return self

    def match(self, item: Item) -> list[Mention]:
        """One ``Mention`` per subject the item refers to (see ``weights`` for the policy)."""
        return [mention for mention, _ in self._decide(item)]

    def explain(self, item: Item) -> dict[str, list[Scored]]:
        """Subject → every scored candidate, accepted or not, with the reasons."""
        self.build()
        doc = document(item)
        out: dict[str, list[Scored]] = {}
        for subject, scored in self._score(doc, item.source).items():
            out[self._subjects[subject].name] = scored
        return out

    def _decide(self, item: Item):
        self.build()
        doc = document(item)
        for subject, scored in self._score(doc, item.source).items():
            accepted = [s for s in scored if s.score >= THRESHOLD]
            if not accepted:
                continue
            # Once she is mentioned, her other name forms in the item are shown too
            # unless something says they are someone or something else.
            shown = [s for s in scored if s.score >= THRESHOLD or not s.negative]
            spans = tuple(
                sorted({span for s in shown for span in _spans(doc, s.hit)}, key=_span_order)
            )
            yield Mention(item, self._subjects[subject].name, spans), accepted

    def _score(self, doc: Doc, source: str = "") -> dict[int, list[Scored]]:
        """Subject index → its scored candidates, for every subject with a candidate."""
        by_subject = self._found(doc)
        named = {s: _candidates(found) for s, found in by_subject.items() if found.get("name")}
        named = {s: c for s, c in named.items() if c}
        if not named:
            return {}
        strong = {s for s, c in named.items() if any(h.term.payload.strength != PARTIAL for h in c)}
        cues = _Cues(doc, self._ties, self._others)
        out: dict[int, list[Scored]] = {}
        for subject, candidates in named.items():
            evidence = self._evidence(
                subject, candidates, by_subject[subject], doc, source, strong, cues
            )
            if evidence is not None:
                out[subject] = score_all(evidence, doc, self._own_words[subject])
        return out

    def _found(self, doc: Doc) -> dict[int, dict[str, list[Hit]]]:
        """Subject index → term kind → hits (names, context, exclude, title) in the document.

        A known title found with no full form of her name is added as a name
        hit: her known content names her even without her name.
        """
        by_subject: dict[int, dict[str, list[Hit]]] = defaultdict(lambda: defaultdict(list))
        for hit in self._index.scan(doc.norm.text, doc.keys):
            if hit.term.kind == "name" and not _written_as_name(doc, hit):
                continue
            by_subject[hit.term.subject][hit.term.kind].append(hit)
        if self._scripts:
            for hit in self._scripts.scan(doc.original, doc.norm.from_original):
                by_subject[hit.term.subject]["name"].append(hit)
        for found in by_subject.values():
            if found.get("title") and not any(
                h.term.payload.strength != PARTIAL for h in found.get("name", ())
            ):
                # Her known content names her even without her name ("the girl from <title>").
                found["name"] = found.get("name", []) + [
                    as_known_content(h) for h in found["title"]
                ]
        return by_subject

    def _evidence(
        self,
        subject: int,
        candidates: list[Hit],
        found: dict[str, list[Hit]],
        doc: Doc,
        source: str,
        strong: set[int],
        cues: _Cues,
    ) -> Evidence | None:
        """The evidence to score one subject's candidates on, or None when none can pass."""
        others_named = bool(strong - {subject})
        about = bool(source) and source in self._subjects[subject].about_sources
        # A context term in a URL's host names the platform ("TikTok" on tiktok.example),
        # not her.
        found["context"] = [h for h in found.get("context", []) if not in_url_host(doc, h)]
        if about:
            # On her own page the URL names the page, not the post's subject.
            candidates = [h for h in candidates if not account_in_url(doc, h)]
            found["context"] = [h for h in found.get("context", []) if not in_url(doc, h)]
            if not candidates:
                return None
        if (
            not found.get("context")
            and not found.get("title")
            and subject not in strong
            and not about
        ):
            # Parts of the name alone, no context term: first names cannot pass,
            # surnames only with cue words near them (checked before anything else).
            candidates = [h for h in candidates if h.term.payload.kind != "first_name"]
            if not any(
                partial_could_pass(h, candidates, cues.scan("ties"), doc, others_named)
                for h in candidates
            ):
                return None
        return Evidence(
            candidates,
            found.get("context", []),
            found.get("title", []),
            cues.scan("ties") + cues.scan("others"),
            others_named,
            self._tracked_words,
            about=about,
            own_context=self._context_words[subject],
            own_titles=self._title_words[subject],
        )


class _Cues:
    """The cue hits of one document, with the word index at each one's start and end.

    Each automaton (``ties``: cues of her world; ``others``: of another
    identity) is run on first use only: most items never need it.
    """

    def __init__(self, doc: Doc, ties: TermIndex, others: TermIndex):
        self._doc = doc
        self._indexes = {"ties": ties, "others": others}
        self._found: dict[str, list[tuple[Hit, int, int]]] = {}

    def scan(self, which: str) -> list[tuple[Hit, int, int]]:
        """The ``ties`` or ``others`` cues, each as ``(hit, first word, word after)``."""
        if which not in self._found:
            doc = self._doc
            hits = list(self._indexes[which].scan(doc.norm.text, doc.keys))
            firsts = doc.words_at([c.start for c in hits])
            afters = doc.words_at([c.end for c in hits])
            self._found[which] = list(zip(hits, firsts, afters, strict=True))
        return self._found[which]


def _candidates(found: dict[str, list[Hit]]) -> list[Hit]:
    """The name hits to score, in text order.

    Those not covered by an excluded phrase, the longest form where forms
    overlap, full forms first, at most ``MAX_CANDIDATES``.
    """
    excluded = sorted((e.start, e.end) for e in found.get("exclude", []))
    hits = [h for h in found["name"] if not _overlaps(h, excluded)]
    hits.sort(key=lambda h: (h.term.payload.strength == PARTIAL, -(h.end - h.start), h.start))
    kept: list[Hit] = []
    for hit in hits:
        if any(k.start <= hit.start and hit.end <= k.end for k in kept):
            continue
        kept.append(hit)
        if len(kept) >= MAX_CANDIDATES:
            break  # a flood of the same name (spam) is decided on its first occurrences
    return sorted(kept, key=lambda h: h.start)


def _overlaps(hit: Hit, spans: list[tuple[int, int]]) -> bool:
    at = bisect.bisect_left(spans, (hit.end, hit.end))
    return any(start < hit.end and hit.start < end for start, end in spans[max(0, at - 8) : at])


def _written_as_name(doc: Doc, hit: Hit) -> bool:
    """Whether a name hit is written as her name, not as part of something else.

    * A misspelled name written as one word is a brand (``Danareyas``), not her.
    * Written together inside a longer token, see ``_embedded_ok``.
    """
    variant: Variant = hit.term.payload
    if hit.form in (TOGETHER, EMBEDDED, JOINED) and variant.strength == MISSPELLING:
        return False
    return hit.form != EMBEDDED or _embedded_ok(doc, hit)


def _embedded_ok(doc: Doc, hit: Hit) -> bool:
    """Whether a name written together inside a longer token counts.

    It does in handles, hashtags, URLs and domains (``@DanaReyesXXX``,
    ``watchdanareyes.example``) or at a change of case (``DanaReyesLeak``),
    not inside an ordinary word (``Danareyesville``).
    """
    start, end = doc.original_span(hit.start, hit.end)
    if doc.field_at(start)[0] == "url":
        return True
    left = start
    while left > 0 and not doc.original[left - 1].isspace():
        left -= 1
    right = end
    while right < len(doc.original) and not doc.original[right].isspace():
        right += 1
    token = doc.original[left:right]
    if token[:1] in ("@", "#") or "/" in token or "." in token.strip(".,;:!?"):
        return True
    after, before = doc.original[end : end + 1], doc.original[start - 1 : start] if start else ""
    return (
        (after[:1].isupper() or after[:1].isdigit())
        and not doc.original[start:end].isupper()
        or (before[:1].islower() and doc.original[start : start + 1].isupper())
    )


def _span_order(span: Span):
    return ({"title": 0, "text": 1, "url": 2}[span.field], span.start, span.end)


def _spans(doc: Doc, hit: Hit) -> list[Span]:
    """The hit as spans of the original fields (two when it runs from the title into the body)."""
    start, end = doc.original_span(hit.start, hit.end)
    variant: Variant = hit.term.payload
    label = variant.text
    before = doc.original[start - 1 : start]
    if before in ("#", "@") and hit.form in (TOGETHER, EMBEDDED):
        label = before + "".join(
            variant.words
        )  # reported as the hashtag or handle it was written as
    out = []
    for field, low, high in doc.fields:
        a, b = max(start, low), min(end, high)
        if a < b:
            raw = doc.original[a:b]
            a += len(raw) - len(raw.lstrip())
            b -= len(raw) - len(raw.rstrip())
            if a < b:
                out.append(Span(field, a - low, b - low, doc.original[a:b], label))
    return out


__all__ = ["SubjectMatcher", "fold", "split_name", "variants"]
