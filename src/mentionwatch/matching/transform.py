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

COUNTS = "counts"


class MatchResult(typing.NamedTuple):
    """What ``MatchSubjects`` produces."""

    mentions: beam.PCollection
    errors: beam.PCollection
    # (item id, number of subjects it mentions) for every item matched, zero
    # included: the monitor confirms items to the outbox with it.
    counts: beam.PCollection


class _MatchFn(beam.DoFn):
    def __init__(self, subjects: Sequence[SubjectSpec]):
        self._subjects = tuple(subjects)
        self._matcher: SubjectMatcher | None = None
        self._items = Metrics.counter("mentionwatch.match", "items")
        self._hits = Metrics.counter("mentionwatch.match", "mentions")

    def setup(self):
        self._matcher = SubjectMatcher(self._subjects).build()  # automata, built once per worker

    def process(self, item: Item):
        self._items.inc()
        mentions = self._matcher.match(item)
        self._hits.inc(len(mentions))
        yield from mentions
        yield beam.pvalue.TaggedOutput(COUNTS, (item.id, len(mentions)))


class MatchSubjects(beam.PTransform):
    """Item → Mention (one per subject found); items that fail go to ``errors``."""

    def __init__(self, subjects: Sequence[SubjectSpec]):
        super().__init__()
        self._subjects = tuple(subjects)

    def expand(self, items):
        """Returns the mentions, the dead letters and the per-item subject counts."""
        # The counts output is declared with its type, so Beam knows the tag (and says nothing).
        out = items | "Match" >> beam.ParDo(_MatchFn(self._subjects)).with_output_types(
            typing.Any, **{COUNTS: tuple[str, int]}
        ).with_exception_handling().with_outputs(COUNTS, main="mentions")
        return MatchResult(
            out.mentions, out.bad | "MatchErrors" >> ToDeadLetters("MatchSubjects"), out[COUNTS]
        )
