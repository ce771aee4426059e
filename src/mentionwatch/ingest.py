"""The ingest job: poll every feed politely, keep what is new, publish it to the items topic.

::

    feed specs ─► PollFeeds ─► ParseEntries ─► normalize ─► CommitFeeds ─► PublishItems ─► topic  items
                  (per host:      (not a feed:                 (outbox +       ▲
                   interval,       feed failure)               validators)    │
                   cap, 304,                                                   │
                   Retry-After)                          ReadOutbox (items never published,
                                                         or not confirmed by the monitor)

A batch job, run every ``ingest.poll_interval_s`` by ``mentionwatch watch``
(or by cron / Cloud Scheduler on Dataflow). What makes it safe to run again
and again:

* **Conditional GET**: each feed's ETag and Last-Modified are stored; a 304
  costs no parsing. Validators advance only after the feed's new items are
  recorded, so a crash in between means a re-fetch, never a lost item.
* **Politeness**: feeds are grouped by host; one host gets at most
  ``host_concurrency`` requests at once and ``host_min_interval_s`` between
  request starts; a ``Retry-After`` (429/503) defers that feed.
* **Seen ids and outbox**: a new item is recorded in the store (the
  ``item_outbox``) before it is published; items already there are dropped.
  The monitor confirms each item once every mention in it is decided; items
  not confirmed within ``redeliver_after_s`` are published again (the monitor
  skips what it already did), up to ``max_attempts``, then dead-lettered.
* **Source health**: every poll updates the feed's last success, consecutive
  failures and last error; failures are dead letters too.

Item messages carry up to ``items_per_message`` items (see docs/event-driven.md
for the schema); other producers may publish single items.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import threading
import time
import typing
import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.config import LoadedConfig
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.records import DeadLetter, Item
from mentionwatch.scan import feed_specs
from mentionwatch.sources import feeds
from mentionwatch.sources.http import FetchError, FetchResult, fetch
from mentionwatch.sources.transform import FeedSpec, ParseEntries
from mentionwatch.store import HistoryStore
from mentionwatch.store.transform import WriteDeadLetters

ERRORS = "errors"
ITEM_SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Polled:
    """A feed fetched with a 200: the body to parse and the validators to commit."""

    spec: FeedSpec
    result: FetchResult


class IngestOutputs(typing.NamedTuple):
    published: beam.PCollection
    dead_letters: beam.PCollection


def host_of(url: str) -> str:
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
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._gap
        if start > now:
            self._sleep(start - now)


# --------------------------------------------------------------------------- PollFeeds


class _PollHostFn(beam.DoFn):
    """Polls the feeds of one host: cap, interval, conditional GET, Retry-After."""

    def __init__(self, store_url: str, *, timeout: float, max_bytes: int, user_agent: str, min_interval_s: float, concurrency: int):
        self._store_url = store_url
        self._fetch_args = {"timeout": timeout, "max_bytes": max_bytes, "user_agent": user_agent}
        self._min_interval_s = min_interval_s
        self._concurrency = concurrency
        self._fetched = Metrics.counter("mentionwatch.ingest", "feeds_fetched")
        self._not_modified = Metrics.counter("mentionwatch.ingest", "feeds_not_modified")
        self._deferred = Metrics.counter("mentionwatch.ingest", "feeds_deferred")
        self._failed = Metrics.counter("mentionwatch.ingest", "feeds_failed")

    def setup(self):
        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._store.close()

    def _poll(self, spec: FeedSpec, state: dict, pacer: HostPacer) -> tuple[str, Polled | DeadLetter | None]:
        """Polls one feed (in a pool thread); returns ``(outcome, payload)``.

        Outcomes: ``deferred`` (Retry-After not over), ``failed`` (a dead
        letter), ``not_modified`` (304) or ``fetched`` (a ``Polled``). Beam
        metrics are bound to the DoFn's own thread, so counting happens there.
        """
        now = dt.datetime.now(dt.timezone.utc)
        next_fetch = state.get("next_fetch_at")
        if next_fetch is not None and _aware(next_fetch) > now:
            return "deferred", None
        pacer.wait_turn()
        try:
            result = fetch(spec.url, etag=state.get("etag"), last_modified=state.get("last_modified"), **self._fetch_args)
        except FetchError as exc:
            self._store.record_feed_failure(spec.url, spec.name, error=str(exc), status=exc.status, retry_after=exc.retry_after)
            return "failed", DeadLetter(stage="PollFeeds", ref=spec.url, error=f"FetchError: {exc}")
        if result.not_modified:
            self._store.record_feed_success(spec.url, spec.name, status=304, not_modified=True)
            return "not_modified", None
        return "fetched", Polled(spec, result)

    def process(self, keyed: tuple[str, Sequence[FeedSpec]]):
        host, specs = keyed
        specs = list(specs)
        states = self._store.feed_states(s.url for s in specs)
        pacer = HostPacer(0.0 if host == "file" else self._min_interval_s)
        with ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix=f"poll-{host}") as pool:
            outcomes = list(pool.map(lambda s: self._poll(s, states.get(s.url, {}), pacer), specs))
        for outcome, payload in outcomes:
            if outcome == "deferred":
                self._deferred.inc()
            elif outcome == "failed":
                self._failed.inc()
                yield beam.pvalue.TaggedOutput(ERRORS, payload)
            else:
                self._fetched.inc()
                if outcome == "not_modified":
                    self._not_modified.inc()
                else:
                    yield payload


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


class PollFeeds(beam.PTransform):
    """FeedSpec → Polled (200 only); failures to ``errors``; 304s and deferrals only counted."""

    def __init__(self, store_url: str, *, timeout: float, max_bytes: int, user_agent: str, min_interval_s: float, concurrency: int):
        super().__init__()
        self._fn = _PollHostFn(
            store_url, timeout=timeout, max_bytes=max_bytes, user_agent=user_agent,
            min_interval_s=min_interval_s, concurrency=concurrency,
        )

    def expand(self, specs):
        out = (
            specs
            | "KeyByHost" >> beam.Map(lambda s: (host_of(s.url), s))
            | "GroupByHost" >> beam.GroupByKey()
            | "PollHost" >> beam.ParDo(self._fn).with_outputs(ERRORS, main="polled")
        )
        return out.polled, out[ERRORS]


# --------------------------------------------------------------------------- CommitFeeds


class _CommitFeedFn(beam.DoFn):
    """Per feed: record new items in the outbox, then advance the validators."""

    def __init__(self, store_url: str):
        self._store_url = store_url
        self._new = Metrics.counter("mentionwatch.ingest", "items_new")
        self._seen = Metrics.counter("mentionwatch.ingest", "items_already_seen")

    def setup(self):
        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._store.close()

    def process(self, keyed):
        url, grouped = keyed
        polled: list[Polled] = list(grouped["polled"])
        new: list[Item] = []
        if not polled:
            pass  # entries always come from a polled feed; nothing to commit
        elif list(grouped["parse_failed"]):
            # Validators stay where they were: the next poll fetches the feed in full.
            self._store.record_feed_failure(url, polled[0].spec.name, error="not a feed", status=polled[0].result.status)
        else:
            spec, result = polled[0].spec, polled[0].result
            items = list(grouped["items"])
            new = self._store.add_new_items(items)
            self._new.inc(len(new))
            self._seen.inc(len(items) - len(new))
            self._store.record_feed_success(
                url, spec.name, status=result.status, etag=result.etag, last_modified=result.last_modified, new_items=len(new)
            )
        yield from new


# --------------------------------------------------------------------------- the outbox


def encode_items(items: Sequence[Item]) -> tuple[bytes, dict[str, str]]:
    """One items message: the JSON body and its attributes (see docs/event-driven.md)."""
    body = json.dumps({"schema_version": ITEM_SCHEMA_VERSION, "items": [i.to_json() for i in items]}, ensure_ascii=False)
    if len(items) == 1:
        message_key = items[0].id
    else:
        message_key = "batch-" + hashlib.sha256("\n".join(sorted(i.id for i in items)).encode()).hexdigest()[:24]
    return body.encode("utf-8"), {"item_id": message_key, "count": str(len(items))}


def decode_items(data: bytes) -> list[Item]:
    """Items from one message: ``{"items": [...]}`` or a single item object.

    Raises:
      ValueError: the message is not one of the two shapes (or lacks id/text).
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"items message is not JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        records = document["items"]
    elif isinstance(document, dict):
        records = [document]
    else:
        raise ValueError("items message must be a JSON object")
    items = []
    for n, record in enumerate(records):
        if isinstance(record, dict) and "title" in record and "fetched_at" in record:
            items.append(Item.from_json(record))
        else:
            items.append(feeds.item_from_input(record, f"message item {n}"))
    return items


class _ReadOutboxFn(beam.DoFn):
    """Items recorded before this run that still need (re)delivery; exhausted ones dead-lettered."""

    def __init__(self, store_url: str, *, redeliver_after_s: float, max_attempts: int, retention_days: int, run_started: float):
        self._store_url = store_url
        self._redeliver_after_s = redeliver_after_s
        self._max_attempts = max_attempts
        self._retention_days = retention_days
        self._run_started = run_started
        self._redelivered = Metrics.counter("mentionwatch.ingest", "items_redelivered")

    def process(self, _):
        store = HistoryStore(self._store_url)
        try:
            store.purge_seen(self._retention_days)
            due, exhausted = store.items_to_deliver(
                redeliver_after_s=self._redeliver_after_s, max_attempts=self._max_attempts,
                first_seen_before=dt.datetime.fromtimestamp(self._run_started, dt.timezone.utc),
            )
            if exhausted:
                store.give_up_items([i.id for i in exhausted])
        finally:
            store.close()
        self._redelivered.inc(len(due))
        yield from due
        for item in exhausted:
            yield beam.pvalue.TaggedOutput(
                ERRORS,
                DeadLetter(
                    stage="PublishItems", ref=item.id, payload=json.dumps(item.to_json(), ensure_ascii=False),
                    error=f"not confirmed by the monitor after {self._max_attempts} deliveries",
                ),
            )


class _PublishItemsFn(beam.DoFn):
    def __init__(self, topic: str, emulator_host: str | None, store_url: str, items_per_message: int):
        self._topic = topic
        self._emulator_host = emulator_host
        self._store_url = store_url
        self._per_message = items_per_message
        self._published = Metrics.counter("mentionwatch.ingest", "items_published")
        self._failed = Metrics.counter("mentionwatch.ingest", "items_publish_failed")

    def setup(self):
        from mentionwatch.pubsub.clients import publisher_client

        self._client = publisher_client(self._emulator_host)
        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._client.stop()
        self._store.close()

    def process(self, batch: Sequence[Item]):
        from google.api_core import retry as retries

        retry = retries.Retry(initial=0.25, maximum=5.0, multiplier=2.0, deadline=30.0)
        chunks = [batch[i : i + self._per_message] for i in range(0, len(batch), self._per_message)]
        futures = []
        for chunk in chunks:
            data, attributes = encode_items(chunk)
            futures.append((chunk, self._client.publish(self._topic, data, retry=retry, **attributes)))
        for chunk, future in futures:
            try:
                future.result(timeout=60)
            except Exception as exc:  # noqa: BLE001 - any failure: the items stay in the outbox
                self._failed.inc(len(chunk))
                yield beam.pvalue.TaggedOutput(
                    ERRORS,
                    DeadLetter(stage="PublishItems", ref=chunk[0].id,
                               error=f"{type(exc).__name__}: {exc}; {len(chunk)} item(s) kept in the outbox for the next run"),
                )
                continue
            self._store.mark_items_published([i.id for i in chunk])
            self._published.inc(len(chunk))
            yield from chunk


# --------------------------------------------------------------------------- the job


def build_pipeline(p: beam.Pipeline, loaded: LoadedConfig, *, emulator_host: str | None, run_started: float | None = None) -> IngestOutputs:
    """Wires the ingest job for ``loaded`` (which must have a ``pubsub`` block)."""
    cfg = loaded.config
    if cfg.pubsub is None:
        raise ValueError("ingest publishes to Pub/Sub: the config needs a 'pubsub' block")
    store, ingest, fetching = cfg.store.url, cfg.ingest, cfg.fetch
    specs = p | "FeedSpecs" >> beam.Create(feed_specs(loaded))
    polled, poll_errors = specs | "PollFeeds" >> PollFeeds(
        store, timeout=fetching.timeout_s, max_bytes=fetching.max_bytes, user_agent=fetching.user_agent,
        min_interval_s=ingest.host_min_interval_s, concurrency=ingest.host_concurrency,
    )
    parsed = polled | "ToFetched" >> beam.Map(lambda x: (x.spec, x.result)) | "ParseEntries" >> ParseEntries()
    keyed_items, bad_entries = parsed.items | "NormalizeItems" >> beam.Map(
        lambda e: (e.feed_url, feeds.entry_to_item(e))
    ).with_exception_handling()
    new_items = (
        {
            "polled": polled | "KeyPolled" >> beam.Map(lambda x: (x.spec.url, x)),
            "items": keyed_items,
            "parse_failed": parsed.errors | "KeyParseFailures" >> beam.Map(lambda d: (d.ref, d)),
        }
        | "GroupByFeed" >> beam.CoGroupByKey()
        | "CommitFeeds" >> beam.ParDo(_CommitFeedFn(store))
    )
    outbox = (
        p
        | "Tick" >> beam.Create([None])
        | "ReadOutbox" >> beam.ParDo(
            _ReadOutboxFn(
                store, redeliver_after_s=ingest.redeliver_after_s, max_attempts=ingest.max_attempts,
                retention_days=ingest.seen_retention_days, run_started=run_started or time.time(),
            )
        ).with_outputs(ERRORS, main="due")
    )
    topic = cfg.pubsub.topic_path(cfg.pubsub.topics.items)
    published = (
        (new_items, outbox.due)
        | "ToPublish" >> beam.Flatten()
        | "Batch" >> beam.BatchElements(min_batch_size=ingest.items_per_message, max_batch_size=10 * ingest.items_per_message)
        | "PublishItems" >> beam.ParDo(_PublishItemsFn(topic, emulator_host, store, ingest.items_per_message)).with_outputs(ERRORS, main="published")
    )
    dead_letters = (
        poll_errors,
        parsed.errors,
        bad_entries | "EntryErrors" >> ToDeadLetters("NormalizeItems"),
        outbox[ERRORS],
        published[ERRORS],
    ) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
    return IngestOutputs(published.published, dead_letters)


@dataclasses.dataclass
class IngestSummary:
    feeds_fetched: int = 0
    not_modified: int = 0
    deferred: int = 0
    failed: int = 0
    new_items: int = 0
    redelivered: int = 0
    published: int = 0
    dead_letters: dict[str, int] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_result(cls, result) -> IngestSummary:
        counters = collections.Counter()
        summary = cls()
        for counter in result.metrics().query()["counters"]:
            metric = counter.key.metric
            if metric.namespace == "mentionwatch.deadletter":
                summary.dead_letters[metric.name] = summary.dead_letters.get(metric.name, 0) + (counter.committed or 0)
            elif metric.namespace == "mentionwatch.ingest":
                counters[metric.name] += counter.committed or 0
        summary.feeds_fetched = counters["feeds_fetched"]
        summary.not_modified = counters["feeds_not_modified"]
        summary.deferred = counters["feeds_deferred"]
        summary.failed = counters["feeds_failed"]
        summary.new_items = counters["items_new"]
        summary.redelivered = counters["items_redelivered"]
        summary.published = counters["items_published"]
        return summary

    def line(self) -> str:
        return (
            f"feeds fetched {self.feeds_fetched} (304: {self.not_modified}, deferred {self.deferred}, failed {self.failed}); "
            f"new items {self.new_items}, redelivered {self.redelivered}, published {self.published}"
        )


def run_ingest(loaded: LoadedConfig, *, emulator_host: str | None, beam_args: Sequence[str] = ()) -> IngestSummary:
    from apache_beam.options.pipeline_options import PipelineOptions

    p = beam.Pipeline(options=PipelineOptions(list(beam_args)))
    build_pipeline(p, loaded, emulator_host=emulator_host, run_started=time.time())
    result = p.run()
    result.wait_until_finish()
    return IngestSummary.from_result(result)
