"""Finding tracked subjects in an item.

``SubjectMatcher`` is a pure object built once per worker from the subject
specs. ``match(item)`` looks at the title, the text and the URL of the item
and returns one ``Mention`` per subject found, with the spans that matched in
the original (un-normalised) text.

This first matcher recognises the configured name, aliases, handles and
hashtags, case- and accent-insensitively, on word boundaries, in one pass
over each field (a single compiled alternation of every variant), and drops
matches covered by the subject's ``exclude`` phrases.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from mentionwatch.matching.normalize import fold, normalize
from mentionwatch.records import Item, Mention, Span
from mentionwatch.subjects import SubjectSpec

_FIELDS = ("title", "text", "url")


def variants(subject: SubjectSpec) -> dict[str, str]:
    """Folded variant → how it was derived (``name``, ``alias``, ``handle``, ``hashtag``)."""
    found: dict[str, str] = {}
    for kind, terms in (
        ("name", (subject.name,)),
        ("alias", subject.aliases),
        ("handle", (h.lstrip("@").split("@")[0] for h in subject.handles)),
        ("hashtag", (t.lstrip("#") for t in subject.hashtags)),
    ):
        for term in terms:
            key = " ".join(fold(term).split())
            if len(key) >= 2:
                found.setdefault(key, kind)
    return found


def _pattern(variant: str) -> str:
    return r"\s+".join(re.escape(word) for word in variant.split(" "))


class SubjectMatcher:
    """Matches every subject in one pass per field."""

    def __init__(self, subjects: Sequence[SubjectSpec]):
        self._subjects = tuple(subjects)
        self._owners: dict[str, list[str]] = defaultdict(list)
        for subject in self._subjects:
            for variant in variants(subject):
                self._owners[variant].append(subject.name)
        # Longest first so "dana reyes" wins over "dana" at the same position.
        ordered = sorted(self._owners, key=len, reverse=True)
        self._regex = re.compile(r"(?<!\w)(?:" + "|".join(_pattern(v) for v in ordered) + r")(?!\w)")
        self._excludes = {
            s.name: tuple(" ".join(fold(e).split()) for e in s.exclude) for s in self._subjects
        }

    @property
    def subjects(self) -> tuple[SubjectSpec, ...]:
        return self._subjects

    def match(self, item: Item) -> list[Mention]:
        spans: dict[str, list[Span]] = defaultdict(list)
        for field in _FIELDS:
            value = getattr(item, field)
            if value:
                for subject, span in self._match_field(field, value):
                    spans[subject].append(span)
        return [Mention(item, subject, tuple(found)) for subject, found in spans.items()]

    def _match_field(self, field: str, value: str) -> Iterable[tuple[str, Span]]:
        normalized = normalize(value)
        folded = normalized.text
        if field == "url":
            # Slugs and domains separate words with - _ . /
            folded = re.sub(r"[-_./+]", " ", folded)
        for found in self._regex.finditer(folded):
            variant = " ".join(found.group(0).split())
            start, end = normalized.original_span(found.start(), found.end())
            for subject in self._owners.get(variant, ()):
                if self._excluded(subject, folded, found.start(), found.end()):
                    continue
                yield subject, Span(field, start, end, value[start:end], variant)

    def _excluded(self, subject: str, folded: str, start: int, end: int) -> bool:
        for phrase in self._excludes[subject]:
            for hit in re.finditer(_pattern(phrase), folded):
                if hit.start() <= start and end <= hit.end():
                    return True
        return False
