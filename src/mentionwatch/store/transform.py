"""Beam sinks into the history store.

Rows are batched (``BatchElements``) and upserted, so a retried bundle writes
nothing twice. The DoFns carry a ``StoreTarget`` (no secret in it) and open the
store in ``setup()`` on the process's shared engine (``store.engine``), so a
worker process holds one connection pool however many sinks it runs. An
unreachable store raises (the runner retries the bundle); a batch the database
rejects for its content is split and retried row by row so one bad row becomes
one dead letter.
"""

from __future__ import annotations

import typing

import apache_beam as beam
import sqlalchemy as sa
from apache_beam.metrics import Metrics

from mentionwatch.deadletter import from_exception
from mentionwatch.store.db import HistoryStore
from mentionwatch.store.engine import StoreTarget

ERRORS = "errors"


class WriteResult(typing.NamedTuple):
    """``WriteMentionHistory``'s outputs: the mentions once stored, and rows the store refused."""

    written: beam.PCollection
    errors: beam.PCollection


class _WriteMentionsFn(beam.DoFn):
    def __init__(self, store: StoreTarget | str):
        self._target = store
        self._written = Metrics.counter("mentionwatch.store", "mentions_written")

    def setup(self):
        self._store = HistoryStore(self._target)

    def process(self, batch):
        try:
            self._store.write_mentions(batch)
            written = list(batch)
        except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.StatementError):
            written = []
            for row in batch:
                try:
                    self._store.write_mentions([row])
                    written.append(row)
                except (sa.exc.IntegrityError, sa.exc.DataError, sa.exc.StatementError) as exc:
                    yield beam.pvalue.TaggedOutput(
                        ERRORS,
                        from_exception(
                            "WriteMentionHistory", row.mention, f"{type(exc).__name__}: {exc}"
                        ),
                    )
        self._written.inc(len(written))
        yield from written

    def teardown(self):
        if getattr(self, "_store", None) is not None:
            self._store.close()


class WriteMentionHistory(beam.PTransform):
    """Stores every classified mention (with its item); passes them on once written."""

    def __init__(self, store: StoreTarget | str, max_batch: int = 500):
        super().__init__()
        self._target = store
        self._max_batch = max_batch

    def expand(self, classified):
        """Batches, writes and returns a ``WriteResult`` (refused rows as dead letters)."""
        batches = classified | "Batch" >> beam.BatchElements(
            min_batch_size=1, max_batch_size=self._max_batch
        )
        out = batches | "Write" >> beam.ParDo(_WriteMentionsFn(self._target)).with_outputs(
            ERRORS, main="written"
        )
        return WriteResult(out.written, out[ERRORS])


class _WriteDeadLettersFn(beam.DoFn):
    def __init__(self, store: StoreTarget | str):
        self._target = store
        self._written = Metrics.counter("mentionwatch.store", "dead_letters_written")

    def setup(self):
        self._store = HistoryStore(self._target)

    def process(self, batch):
        self._store.write_dead_letters(batch)
        self._written.inc(len(batch))
        yield from batch

    def teardown(self):
        if getattr(self, "_store", None) is not None:
            self._store.close()


class WriteDeadLetters(beam.PTransform):
    """The one dead-letter sink: every stage's errors end up in ``dead_letters``."""

    def __init__(self, store: StoreTarget | str, max_batch: int = 500):
        super().__init__()
        self._target = store
        self._max_batch = max_batch

    def expand(self, letters):
        """Batches and writes the dead letters; returns them once stored."""
        batches = letters | "Batch" >> beam.BatchElements(
            min_batch_size=1, max_batch_size=self._max_batch
        )
        return batches | "Write" >> beam.ParDo(_WriteDeadLettersFn(self._target))
