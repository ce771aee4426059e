"""The ingest job's source stages: poll every source politely, commit per source, watch health.

::

    SourceSpec ─► PollSources ─────────────► PollOutcome (entries, cursor, validators)
                  (group by host: pacing,         │            │
                   cap, deferral, pages)          │            └─► errors: PollFeeds /
                                                  │                ParseEntries dead letters
                                                  ▼
                  normalize entries ─► CommitSources (per source: new items into the outbox,
                                       THEN cursor/validators/health) ─► new items
                                                  │
                                                  └─► CheckSourceHealth ─► operator notice on the
                                                      dead-letters topic (kind=source_health)

Guarantees (the same as the feed-only ingest had):

* **Items before cursors.** A source's new items are recorded in the outbox
  before its cursor or validators advance, in one keyed step per source; a
  crash in between means a re-fetch, never a lost item.
* **Politeness.** Sources are grouped by host; one host gets at most
  ``concurrency`` requests at once and ``min_interval_s`` between request
  starts (pages included). A Retry-After or an exhausted rate limit defers
  the source (``next_fetch_at``) and, within the run, the rest of its host.
* **Health** is recorded for every poll (success, 304, failure) and checked
  after the commit; see ``mentionwatch.sources.health``.

Dead-letter stage names are those of the feed-only job (``PollFeeds`` for a
fetch that failed, ``ParseEntries`` for a body that is not a page), so
existing dashboards and queries keep working; transform labels are kept for
the same reason (Dataflow ``--update`` matches steps by name).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import typing
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.records import DeadLetter, Item
from mentionwatch.secretref import worker_environ
from mentionwatch.sources import health
from mentionwatch.sources.base import Session, SourceSpec
from mentionwatch.sources.http import FetchPolicy, fetch
from mentionwatch.sources.poll_once import (
    DEFERRED,
    FAILED,
    FETCHED,
    NOT_MODIFIED,
    HostGate,
    PollContext,
    PollOutcome,
    poll_source,
)
from mentionwatch.store.evidence import (
    keeping_evidence,  # raw pages kept as evidence (docs/history.md)
)

_log = logging.getLogger(__name__)

ERRORS = "errors"
HEALTH = "health"


def host_of(url: str) -> str:
    """The host a URL's requests go to (the key of per-host pacing)."""
    parsed = urllib.parse.urlparse(url)
    return parsed.netloc.lower() if parsed.scheme in ("http", "https") else "file"


class HostPacer:
    """Politeness for one host: a concurrency cap and a minimum gap between request starts."""

    def __init__(self, min_interval_s: float, clock=time.monotonic, sleep=time.sleep):
        self._gap = min_interval_s
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait_turn(self) -> None:
        """Sleeps until this host's next request may start."""
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._gap
        if start > now:
            self._sleep(start - now)


# --------------------------------------------------------------------------- PollSources


class _PollHostFn(beam.DoFn):
    """Polls the sources of one host: cap, interval, deferral, pages, credentials."""

    def __init__(
        self, store_url: str, *, policy: FetchPolicy, min_interval_s: float, concurrency: int
    ):
        self._store_url = store_url
        self._fetch_args = policy.kwargs()
        self._min_interval_s = min_interval_s
        self._concurrency = concurrency
        self._fetched = Metrics.counter("mentionwatch.ingest", "feeds_fetched")
        self._not_modified = Metrics.counter("mentionwatch.ingest", "feeds_not_modified")
        self._deferred = Metrics.counter("mentionwatch.ingest", "feeds_deferred")
        self._failed = Metrics.counter("mentionwatch.ingest", "feeds_failed")
        self._pages = Metrics.counter("mentionwatch.ingest", "pages_fetched")
        self._truncated = Metrics.counter("mentionwatch.ingest", "polls_truncated")
        self._empty = Metrics.counter("mentionwatch.ingest", "posts_without_text")

    def setup(self):
        from mentionwatch.store import HistoryStore

        self._store = HistoryStore(self._store_url)
        # Tokens (Reddit OAuth) live as long as this worker, never anywhere else.
        # secret:// credentials read on this worker, never stored on the DoFn (secretref).
        self._session = Session(self._fetch, worker_environ(), time.monotonic)

    def teardown(self):
        self._store.close()

    def _fetch(self, url, **kwargs):
        return fetch(url, **self._fetch_args, **kwargs)

    def process(self, keyed: tuple[str, Sequence[SourceSpec]]):
        host, specs = keyed
        specs = list(specs)
        states = self._store.feed_states(s.url for s in specs)
        pacer = HostPacer(0.0 if host == "file" else self._min_interval_s)
        context = PollContext(
            fetch=keeping_evidence(self._store, self._fetch),
            pace=pacer.wait_turn,
            session=self._session,
            gate=HostGate(),
        )
        with ThreadPoolExecutor(
            max_workers=self._concurrency, thread_name_prefix=f"poll-{host}"
        ) as pool:
            outcomes = list(
                pool.map(lambda s: _isolated_poll(s, states.get(s.url, {}), context), specs)
            )
        # Beam metrics are bound to the DoFn's thread, so counting happens here.
        for outcome in outcomes:
            self._pages.inc(outcome.pages)
            self._empty.inc(outcome.skipped)
            if outcome.truncated:
                self._truncated.inc()
            if outcome.status == DEFERRED:
                self._deferred.inc()
            elif outcome.status == FAILED:
                self._failed.inc()
                yield beam.pvalue.TaggedOutput(
                    ERRORS,
                    DeadLetter(
                        stage=outcome.error_stage,
                        ref=outcome.spec.url,
                        error=outcome.error or "failed",
                    ),
                )
            else:
                self._fetched.inc()
                if outcome.status == NOT_MODIFIED:
                    self._not_modified.inc()
            yield outcome


def _isolated_poll(spec: SourceSpec, state, context: PollContext) -> PollOutcome:
    """One source's bug is that source's failure (a dead letter), not the whole run's."""
    try:
        return poll_source(spec, state, context)
    except Exception as exc:  # noqa: BLE001 - logged with its traceback; this source fails, the run goes on
        _log.exception("polling source %s failed unexpectedly", spec.name)
        return PollOutcome(spec, FAILED, error=f"{type(exc).__name__}: {exc}")


class PollResult(typing.NamedTuple):
    """What ``PollSources`` produces."""

    outcomes: beam.PCollection  # PollOutcome, one per source, every status
    errors: beam.PCollection  # DeadLetter for each failed poll


class PollSources(beam.PTransform):
    """SourceSpec → PollOutcome (every source, every status); failures also to ``errors``."""

    def __init__(
        self, store_url: str, *, policy: FetchPolicy, min_interval_s: float, concurrency: int
    ):
        super().__init__()
        self._fn = _PollHostFn(
            store_url, policy=policy, min_interval_s=min_interval_s, concurrency=concurrency
        )

    def expand(self, specs):
        """Groups the specs by host and polls each host's sources in turn."""
        out = (
            specs
            | "KeyByHost" >> beam.Map(lambda s: (host_of(s.url), s))
            | "GroupByHost" >> beam.GroupByKey()
            | "PollHost" >> beam.ParDo(self._fn).with_outputs(ERRORS, main="outcomes")
        )
        return PollResult(out.outcomes, out[ERRORS])


# --------------------------------------------------------------------------- CommitSources


class _CommitSourceFn(beam.DoFn):
    """Per source: record new items in the outbox, then advance the cursor/validators and health."""

    def __init__(self, store_url: str):
        self._store_url = store_url
        self._new = Metrics.counter("mentionwatch.ingest", "items_new")
        self._seen = Metrics.counter("mentionwatch.ingest", "items_already_seen")

    def setup(self):
        from mentionwatch.store import HistoryStore

        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._store.close()

    def process(self, keyed):
        url, grouped = keyed
        # One outcome per source; items always come with their source's outcome.
        for outcome in list(grouped["outcome"])[:1]:
            yield from self._commit(url, outcome, list(grouped["items"]))

    def _commit(self, url: str, outcome: PollOutcome, items: list[Item]):
        spec = outcome.spec
        new = self._store.add_new_items(items) if items else []
        self._new.inc(len(new))
        self._seen.inc(len(items) - len(new))
        if outcome.status == FETCHED:
            self._store.record_feed_success(
                url,
                spec.name,
                status=outcome.http_status or 200,
                etag=outcome.etag,
                last_modified=outcome.last_modified,
                new_items=len(new),
                kind=spec.kind,
                cursor=outcome.cursor,
                defer_s=outcome.defer_s,
                truncated=outcome.truncated,
            )
        elif outcome.status == NOT_MODIFIED:
            self._store.record_feed_success(
                url, spec.name, status=304, not_modified=True, kind=spec.kind
            )
        elif outcome.status == FAILED:
            # The cursor stays: the next poll reads these pages again and goes further.
            self._store.record_feed_failure(
                url,
                spec.name,
                error=outcome.error or "failed",
                status=outcome.http_status,
                retry_after=outcome.defer_s,
                kind=spec.kind,
                new_items=len(new),
            )
        yield from new
        yield beam.pvalue.TaggedOutput(HEALTH, spec)


class CommitResult(typing.NamedTuple):
    """What ``CommitSources`` produces."""

    new_items: beam.PCollection  # Item not seen before, now in the outbox
    health: beam.PCollection  # SourceSpec of every source committed, for CheckSourceHealth


class CommitSources(beam.PTransform):
    """(outcomes, keyed items) → new items; the spec of every source to ``health``."""

    def __init__(self, store_url: str):
        super().__init__()
        self._store_url = store_url

    def expand(self, inputs):
        """Commits each source's new items, then its cursor and health."""
        outcomes, keyed_items = inputs
        out = (
            {
                "outcome": outcomes
                | "KeyOutcomes" >> beam.Map(lambda o: (o.spec.url, o.without_entries())),
                "items": keyed_items,
            }
            | "GroupBySource" >> beam.CoGroupByKey()
            | "CommitSource"
            >> beam.ParDo(_CommitSourceFn(self._store_url)).with_outputs(HEALTH, main="new")
        )
        return CommitResult(out.new, out[HEALTH])


# --------------------------------------------------------------------------- CheckSourceHealth


class _CheckHealthFn(beam.DoFn):
    """Tells the operator when a source turns failing or silent, and when it recovers.

    Timeline per source (``sources.health.decide``): the first run that finds
    it failing/silent publishes a notice and records the state; later runs
    stay quiet for ``REMIND_AFTER``, then remind; the first healthy run after
    publishes "recovered". If Pub/Sub refuses, nothing is recorded, so the
    next run tries again; the WARNING log line is written either way.
    """

    def __init__(self, store_url: str, topic: str | None, emulator_host: str | None):
        self._store_url = store_url
        self._topic = topic
        self._emulator_host = emulator_host
        self._notices = Metrics.counter("mentionwatch.ingest", "source_health_notices")

    def setup(self):
        from mentionwatch.store import HistoryStore

        self._store = HistoryStore(self._store_url)
        self._client = None

    def teardown(self):
        self._store.close()
        if self._client is not None:
            self._client.stop()

    def _publish(self, notice: health.Notice) -> bool:
        if self._topic is None:
            return True
        if self._client is None:
            from mentionwatch.pubsub.clients import publisher_client

            self._client = publisher_client(self._emulator_host)
        from mentionwatch.pubsub.publish import publish_notice

        return publish_notice(
            self._client, self._topic, notice.body, "source health notice", **notice.attributes
        )

    def process(self, spec: SourceSpec):
        now = dt.datetime.now(dt.UTC)
        row = self._store.feed_states([spec.url]).get(spec.url)
        current = health.assess(
            row,
            expected_update_period_s=spec.expected_update_period_s,
            alert_after_failures=spec.alert_after_failures,
            now=now,
        )
        per_day = self._store.items_per_day([spec.url], now=now).get(spec.url)
        notice = health.decide(spec, row, current, now=now, items_per_day=per_day)
        if notice is not None:
            yield from self._tell(spec, notice, now)

    def _tell(self, spec: SourceSpec, notice: health.Notice, now: dt.datetime):
        if notice.event == "recovered":
            _log.info("%s", notice.log_line)
        else:
            _log.warning("%s", notice.log_line)
        if self._publish(notice):
            self._store.set_source_health(spec.url, notice.state, now)
            self._notices.inc()
            yield notice


class CheckSourceHealth(beam.PTransform):
    """SourceSpec (after its commit) → operator notices published to the dead-letters topic."""

    def __init__(self, store_url: str, topic: str | None, emulator_host: str | None):
        super().__init__()
        self._fn = _CheckHealthFn(store_url, topic, emulator_host)

    def expand(self, specs):
        """Checks each committed source's health and tells the operator."""
        return specs | "CheckSource" >> beam.ParDo(self._fn)
