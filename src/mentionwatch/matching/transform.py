"""``MatchSubjects``: the one matching stage every pipeline uses."""

from __future__ import annotations

import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.matching.matcher import SubjectMatcher
from mentionwatch.records import Item
from mentionwatch.subjects import SubjectSpec


class MatchResult(typing.NamedTuple):
    mentions: beam.PCollection
    errors: beam.PCollection


class _MatchFn(beam.DoFn):
    def __init__(self, subjects: Sequence[SubjectSpec]):
        self._subjects = tuple(subjects)
        self._matcher: SubjectMatcher | None = None
        self._items = Metrics.counter("mentionwatch.match", "items")
        self._hits = Metrics.counter("mentionwatch.match", "mentions")

    def setup(self):
        self._matcher = SubjectMatcher(self._subjects)

    def process(self, item: Item):
        self._items.inc()
        for mention in self._matcher.match(item):
            self._hits.inc()
            yield mention


class MatchSubjects(beam.PTransform):
    """Item → Mention (one per subject found); items that fail go to ``errors``."""

    def __init__(self, subjects: Sequence[SubjectSpec]):
        super().__init__()
        self._subjects = tuple(subjects)

    def expand(self, items):
        mentions, failed = items | "Match" >> beam.ParDo(_MatchFn(self._subjects)).with_exception_handling()
        return MatchResult(mentions, failed | "MatchErrors" >> ToDeadLetters("MatchSubjects"))
