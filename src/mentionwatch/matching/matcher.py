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
3. ``context``: each candidate name is scored from how it was written and
   the evidence around it; excluded phrases remove the hits they cover.

The non-mention path (no name form of any subject in the item, which is
nearly every item) costs the fold and one automaton pass; the cue lexicon is
only scanned for items with a candidate.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections import defaultdict
from collections.abc import Sequence

from mentionwatch.matching import context as ctx
from mentionwatch.matching.automaton import EMBEDDED, JOINED, TOGETHER, Hit, Term, TermIndex
from mentionwatch.matching.lexicon import cue_terms
from mentionwatch.matching.normalize import fold, key_bytes, normalize
from mentionwatch.matching.scripts import ScriptIndex
from mentionwatch.matching.variants import (
    FULL,
    INITIALS,
    INVERTED,
    MISSPELLING,
    PARTIAL,
    Variant,
    generate,
    split_name,
    words_of,
)
from mentionwatch.records import Item, Mention, Span
from mentionwatch.subjects import SubjectSpec

logger = logging.getLogger(__name__)

_TITLE_BODY = "\n"
_BODY_URL = "\n\n\n"
MAX_CANDIDATES = 32  # per subject and item


def variants(subject: SubjectSpec) -> dict[str, str]:
    """Folded variant → how it was derived (``name``, ``alias``, ``handle``, ``initials`` ...)."""
    return {v.text: v.kind for v in generate(subject)}


def title_phrases(subject: SubjectSpec) -> list[tuple[str, ...]]:
    """The distinctive parts of each known title: its words without the subject's names,
    and each part of a title cut at `` - ``, ``:``, ``|`` or brackets (``"Stage Name -
    Velvet Nights"`` is also looked for as ``velvet nights``)."""
    names = {
        w
        for v in generate(subject)
        if v.kind in ("name", "alias", "first_name", "surname")
        for w in v.words
    }
    out: list[tuple[str, ...]] = []
    for known in subject.known_content:
        parts = [known.title, *re.split(r"\s[-–—|]\s|:\s|[()\[\]]", known.title)]
        for part in parts:
            words = [w for w in words_of(part) if w not in names]
            while words and len(words[0]) <= 3:
                words.pop(0)
            number = words.pop() if words and len(words[-1]) <= 1 else None
            while words and len(words[-1]) <= 1:
                words.pop()
            if number is not None and len(words) == 2 and number.isdigit():
                # "Night Shift 3": two everyday words are her title only with the number.
                words.append(number)
            if len(words) >= 2 and sum(len(w) for w in words) >= 8 and tuple(words) not in out:
                out.append(tuple(words))
    return out


def _known_content_variant(words: tuple[str, ...]) -> Variant:
    return Variant(
        " ".join(words), "known_content", FULL, words, "her known content, without her name"
    )


def _terms(subjects: Sequence[SubjectSpec]) -> tuple[list[Term], list[Term]]:
    """(subject terms, cue terms)."""
    terms: list[Term] = []
    for index, subject in enumerate(subjects):
        for variant in generate(subject):
            terms.append(
                Term(
                    "name",
                    index,
                    variant.words,
                    variant.text,
                    variant.together,
                    comma=variant.kind == "inverted",
                    separate=variant.strength in (INITIALS, INVERTED),
                    payload=variant,
                )
            )
        for phrase in subject.context:
            terms.append(Term("context", index, words_of(phrase), " ".join(words_of(phrase))))
        for phrase in subject.exclude:
            terms.append(
                Term("exclude", index, words_of(phrase), " ".join(words_of(phrase)), comma=True)
            )
        for words in title_phrases(subject):
            terms.append(Term("title", index, words, " ".join(words)))
    cues = [
        Term("cue", -1, words_of(phrase), category)
        for category, phrases in cue_terms().items()
        if category != "function_before"  # read from the word before a name, not scanned
        for phrase in phrases
        if words_of(phrase)
    ]
    return [t for t in terms if t.words], cues


def _document(item: Item) -> ctx.Doc:
    title, text, url = item.title or "", item.text or "", item.url or ""
    original = title + _TITLE_BODY + text + _BODY_URL + url
    body = len(title) + len(_TITLE_BODY)
    link = body + len(text) + len(_BODY_URL)
    norm = normalize(original)
    fields = (
        ("title", 0, len(title)),
        ("text", body, body + len(text)),
        ("url", link, link + len(url)),
    )
    return ctx.Doc(original, norm, key_bytes(norm.text), fields)


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
        return self._subjects

    def build(self) -> SubjectMatcher:
        """Builds the automata now (otherwise done on the first ``match``)."""
        if self._index is None:
            terms, cues = _terms(self._subjects)
            self._index = TermIndex(terms)
            self._ties = TermIndex([c for c in cues if c.label in ctx.CUES])
            self._others = TermIndex([c for c in cues if c.label not in ctx.CUES])
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
        """One ``Mention`` per subject the item refers to (see ``context`` for the policy)."""
        return [mention for mention, _ in self._decide(item)]

    def explain(self, item: Item) -> dict[str, list[ctx.Scored]]:
        """Subject → every scored candidate, accepted or not, with the reasons."""
        self.build()
        doc = _document(item)
        out: dict[str, list[ctx.Scored]] = {}
        for subject, scored in self._score(doc, item.source).items():
            out[self._subjects[subject].name] = scored
        return out

    def _decide(self, item: Item):
        self.build()
        doc = _document(item)
        for subject, scored in self._score(doc, item.source).items():
            accepted = [s for s in scored if s.score >= ctx.THRESHOLD]
            if not accepted:
                continue
            # Once she is mentioned, her other name forms in the item are shown too
            # unless something says they are someone or something else.
            shown = [s for s in scored if s.score >= ctx.THRESHOLD or not s.negative]
            spans = tuple(
                sorted({span for s in shown for span in _spans(doc, s.hit)}, key=_span_order)
            )
            yield Mention(item, self._subjects[subject].name, spans), accepted

    def _score(self, doc: ctx.Doc, source: str = "") -> dict[int, list[ctx.Scored]]:
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
                    Hit(
                        Term(
                            "name",
                            h.term.subject,
                            h.term.words,
                            h.term.label,
                            payload=_known_content_variant(h.term.words),
                        ),
                        h.start,
                        h.end,
                        h.form,
                        h.leet,
                    )
                    for h in found["title"]
                ]
        named = {s: _candidates(found) for s, found in by_subject.items() if found.get("name")}
        named = {s: c for s, c in named.items() if c}
        if not named:
            return {}
        strong = {s for s, c in named.items() if any(h.term.payload.strength != PARTIAL for h in c)}
        cues: dict[str, list] = {}

        def scan(which: str) -> list:
            if which not in cues:
                found_cues = list(
                    (self._ties if which == "ties" else self._others).scan(doc.norm.text, doc.keys)
                )
                firsts = doc.words_at([c.start for c in found_cues])
                afters = doc.words_at([c.end for c in found_cues])
                cues[which] = list(zip(found_cues, firsts, afters))
            return cues[which]

        out: dict[int, list[ctx.Scored]] = {}
        for subject, candidates in named.items():
            found = by_subject[subject]
            others_named = bool(strong - {subject})
            about = bool(source) and source in self._subjects[subject].about_sources
            # A context term in a URL's host names the platform ("TikTok" on tiktok.example), not her.
            found["context"] = [h for h in found.get("context", []) if not ctx.in_url_host(doc, h)]
            if about:
                # On her own page the URL names the page, not the post's subject.
                candidates = [h for h in candidates if not ctx.account_in_url(doc, h)]
                found["context"] = [h for h in found.get("context", []) if not ctx.in_url(doc, h)]
                if not candidates:
                    continue
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
                    ctx.partial_could_pass(h, candidates, scan("ties"), doc, others_named)
                    for h in candidates
                ):
                    continue
            evidence = ctx.Evidence(
                candidates,
                found.get("context", []),
                found.get("title", []),
                scan("ties") + scan("others"),
                others_named,
                self._tracked_words,
                about=about,
                own_context=self._context_words[subject],
                own_titles=self._title_words[subject],
            )
            out[subject] = ctx.score_all(evidence, doc, self._own_words[subject])
        return out


def _candidates(found: dict[str, list[Hit]]) -> list[Hit]:
    """Name hits not covered by an excluded phrase, the longest form where forms overlap,
    full forms first, at most ``MAX_CANDIDATES``."""
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


def _written_as_name(doc: ctx.Doc, hit: Hit) -> bool:
    """Whether a name hit is written as her name, not as part of something else.

    * A misspelled name written as one word is a brand (``Danareyas``), not her.
    * Written together inside a longer token, see ``_embedded_ok``.
    """
    variant: Variant = hit.term.payload
    if hit.form in (TOGETHER, EMBEDDED, JOINED) and variant.strength == MISSPELLING:
        return False
    return hit.form != EMBEDDED or _embedded_ok(doc, hit)


def _embedded_ok(doc: ctx.Doc, hit: Hit) -> bool:
    """A name written together inside a longer token counts in handles, hashtags, URLs and domains
    (``@DanaReyesXXX``, ``watchdanareyes.example``) or at a change of case (``DanaReyesLeak``),
    not inside an ordinary word (``Danareyesville``)."""
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


def _spans(doc: ctx.Doc, hit: Hit) -> list[Span]:
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
