"""Beam transforms at the input edge: sources (feeds and social APIs) and JSON-lines item files.

``ReadFeeds`` = ``FetchFeeds`` → ``ParseEntries`` → ``NormalizeItems``, each
with its own error output, so a feed that 404s, a body that is not a feed and
an entry without text each become one dead letter while everything else
flows on. ``ReadItemsFile`` reads ``--input`` JSON lines the same way.

``ReadFeeds`` reads every source kind (``SourceSpec.kind``) but, being the
one-shot batch ``scan``, only each source's newest page, with no cursor:
paging, cursors, rate-limit deferral and health belong to the ingest job
(``mentionwatch.sources.ingest_stages``), which keeps state between runs.
"""

from __future__ import annotations

import json
import typing

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.records import Item
from mentionwatch.sources.base import FeedSpec, Request, Session, SourceSpec
from mentionwatch.sources.entries import EntryError, RawEntry, entry_to_item, item_from_input
from mentionwatch.sources.http import FetchPolicy, FetchResult, fetch
from mentionwatch.sources.registry import get_source


class SourceResult(typing.NamedTuple):
    """Items read, and the dead letters of every step that read them."""

    items: beam.PCollection
    errors: beam.PCollection


class _FetchFn(beam.DoFn):
    """Fetches one feed; with an evidence store, keeps the raw body as evidence first."""

    def __init__(self, policy: FetchPolicy, evidence_store: str | None = None):
        self._policy = policy
        self._evidence_store = evidence_store
        self._fetched = Metrics.counter("mentionwatch.fetch", "feeds_fetched")

    def setup(self):
        self._store = None
        if self._evidence_store:
            from mentionwatch.store import HistoryStore

            self._store = HistoryStore(self._evidence_store)

    def teardown(self):
        if getattr(self, "_store", None) is not None:
            self._store.close()

    def _fetch(self, url: str, **kwargs) -> FetchResult:
        return fetch(url, **self._policy.kwargs(), **kwargs)

    def process(self, spec: SourceSpec):
        # The source's first (newest) page, with its credentials when the environment has them.
        import os
        import time

        source = get_source(spec.kind)
        if getattr(self, "_session", None) is None:
            self._session = Session(self._fetch, os.environ, time.monotonic)
        secret = (
            source.credentials(spec, self._session)
            if source.has_credentials(spec, self._session.environ)
            else {}
        )
        request = source.first_request(spec, None, authenticated=bool(secret))
        headers = {**dict(request.headers), **(secret if request.authenticated else {})}
        result = self._fetch(request.url, headers=headers)
        if self._store is not None:
            from mentionwatch.store.evidence import capture_fetch

            capture_fetch(self._store, result, spec.name)
        self._fetched.inc()
        yield spec, result, request


def _parse(fetched: tuple[SourceSpec, FetchResult, Request]) -> list[RawEntry]:
    spec, result, request = fetched
    return list(get_source(spec.kind).parse_page(spec, request, result).entries)


class FetchFeeds(beam.PTransform):
    """SourceSpec → (SourceSpec, FetchResult, Request) for its newest page.

    Unreachable sources go to ``errors``.

    With ``evidence_store`` (a history store URL) every body fetched is kept as
    evidence (``mentionwatch.store.evidence``) before it is parsed.
    """

    def __init__(self, *, policy: FetchPolicy, evidence_store: str | None = None):
        super().__init__()
        self._fn = _FetchFn(policy, evidence_store)

    def expand(self, specs):
        """Fetches each spec's newest page; failures go to ``errors``."""
        fetched, failed = specs | "Fetch" >> beam.ParDo(self._fn).with_exception_handling()
        return SourceResult(
            fetched, failed | "FetchErrors" >> ToDeadLetters("FetchFeeds", lambda s: s.url)
        )


class ParseEntries(beam.PTransform):
    """(SourceSpec, FetchResult, Request) → RawEntry; bodies that are no page go to ``errors``."""

    def expand(self, fetched):
        """Parses each fetched page into entries; bad bodies go to ``errors``."""
        entries, failed = fetched | "Parse" >> beam.FlatMap(_parse).with_exception_handling()
        return SourceResult(
            entries, failed | "ParseErrors" >> ToDeadLetters("ParseEntries", lambda f: f[0].url)
        )


class NormalizeItems(beam.PTransform):
    """RawEntry → Item; entries without text or with malformed dates go to ``errors``."""

    def expand(self, entries):
        """Turns each entry into an ``Item``; bad entries go to ``errors``."""
        items, failed = entries | "Normalize" >> beam.Map(entry_to_item).with_exception_handling()
        return SourceResult(items, failed | "NormalizeErrors" >> ToDeadLetters("NormalizeItems"))


class ReadFeeds(beam.PTransform):
    """Fetches, parses and normalises every feed; one error output for all three steps."""

    def __init__(
        self,
        specs: typing.Sequence[FeedSpec],
        *,
        policy: FetchPolicy,
        evidence_store: str | None = None,
    ):
        super().__init__()
        self._specs = list(specs)
        self._fetch = FetchFeeds(policy=policy, evidence_store=evidence_store)

    def expand(self, pbegin):
        """Fetches, parses and normalises every spec's newest page."""
        specs = pbegin | "FeedSpecs" >> beam.Create(self._specs)
        # Spread the feeds over workers before the slow network step.
        fetched = specs | "Reshuffle" >> beam.Reshuffle() | "FetchFeeds" >> self._fetch
        parsed = fetched.items | "ParseEntries" >> ParseEntries()
        normalized = parsed.items | "NormalizeItems" >> NormalizeItems()
        errors = (
            fetched.errors,
            parsed.errors,
            normalized.errors,
        ) | "SourceErrors" >> beam.Flatten()
        return SourceResult(normalized.items, errors)


def _parse_input_line(numbered: tuple[int, str], path: str) -> Item:
    number, line = numbered
    ref = f"{path}:{number}"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EntryError(f"{ref}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    return item_from_input(record, ref)


class ReadItemsFile(beam.PTransform):
    """Reads items from a JSON-lines file (the ``--input`` contract).

    Each line is an object with ``id`` and ``text`` (and optionally ``url``,
    ``published``, ``source``, ``title``). Blank lines are skipped; a line that
    is not valid JSON or lacks ``id``/``text`` becomes a dead letter naming
    the file and line number.
    """

    def __init__(self, path: str):
        super().__init__()
        self._path = path

    def expand(self, pbegin):
        """Reads the file's non-blank lines into items; bad lines go to ``errors``."""
        path = self._path
        with open(path, encoding="utf-8") as handle:
            lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip()]
        numbered = pbegin | "ReadLines" >> beam.Create(lines, reshuffle=False)
        items, failed = (
            numbered | "ParseItems" >> beam.Map(_parse_input_line, path).with_exception_handling()
        )
        return SourceResult(
            items, failed | "InputErrors" >> ToDeadLetters("ReadInput", lambda f: f"{path}:{f[0]}")
        )
