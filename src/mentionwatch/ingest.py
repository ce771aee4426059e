"""The ingest job: poll every source politely, keep what is new, publish it to the items topic.

::

    source specs ─► PollFeeds ──► normalize ─► CommitFeeds ─► PublishItems ─► topic  items
                    (per host:     (entry:      (per source:      ▲
                     interval,      no text,     outbox, THEN     │
                     cap, pages,    bad date)    cursor +         │
                     304, rate                   validators)  ReadOutbox (items never published,
                     limits,                         │        or not confirmed by the monitor)
                     Retry-After)                    ▼
                                              CheckSourceHealth ─► topic  dead-letters
                                              (kind=source_health, for the operator)

Sources are feeds (RSS/Atom/JSON Feed) and social platforms (Reddit,
Mastodon, Bluesky, Hacker News, YouTube, Google Alerts); each poll of a
source is one or more pages of requests (``mentionwatch.sources.poll``), and
the Beam stages live in ``mentionwatch.sources.polling``. A batch job, run
every ``ingest.poll_interval_s`` by ``mentionwatch watch`` (or by cron /
Cloud Scheduler on Dataflow). What makes it safe to run again and again:

* **Conditional GET and cursors**: each feed's ETag and Last-Modified, and
  each social source's cursor (the newest post seen), are stored; a 304
  costs no parsing, and paging stops at the cursor. They advance only after
  the source's new items are recorded, so a crash in between means a
  re-fetch, never a lost item.
* **Politeness**: sources are grouped by host; one host gets at most
  ``host_concurrency`` requests at once and ``host_min_interval_s`` between
  request starts (every page counts); a ``Retry-After`` (429/503) or an
  exhausted rate limit defers that source.
* **Seen ids and outbox**: a new item is recorded in the store (the
  ``item_outbox``) before it is published; items already there are dropped
  (so an overlap between pages or between two searches publishes nothing
  twice). The monitor confirms each item once every mention in it is
  decided; items not confirmed within ``redeliver_after_s`` are published
  again (the monitor skips what it already did), up to ``max_attempts``,
  then dead-lettered.
* **Source health**: every poll updates the source's last success,
  consecutive failures, last error and items per day; failures are dead
  letters too, and a source that keeps failing or goes silent is reported
  to the operator (docs/sources.md).

Item messages carry up to ``items_per_message`` items (see docs/event-driven.md
for the schema); other producers may publish single items.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.config import LoadedConfig
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.records import DeadLetter, Item
from mentionwatch.runs import Totals
from mentionwatch.sources import feeds
from mentionwatch.sources.http import FetchPolicy
from mentionwatch.sources.polling import (  # noqa: F401
    CheckSourceHealth,
    CommitSources,
    HostPacer,
    PollSources,
    host_of,
)
from mentionwatch.sources.registry import source_specs
from mentionwatch.store import HistoryStore
from mentionwatch.store.transform import WriteDeadLetters

_log = logging.getLogger(__name__)

ERRORS = "errors"
ITEM_SCHEMA_VERSION = 1


class IngestOutputs(typing.NamedTuple):
    published: beam.PCollection
    dead_letters: beam.PCollection
    health_notices: beam.PCollection


# --------------------------------------------------------------------------- the outbox


def encode_items(items: Sequence[Item]) -> tuple[bytes, dict[str, str]]:
    """One items message: the JSON body and its attributes (see docs/event-driven.md)."""
    body = json.dumps(
        {"schema_version": ITEM_SCHEMA_VERSION, "items": [i.to_json() for i in items]},
        ensure_ascii=False,
    )
    if len(items) == 1:
        message_key = items[0].id
    else:
        message_key = (
            "batch-"
            + hashlib.sha256("\n".join(sorted(i.id for i in items)).encode()).hexdigest()[:24]
        )
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
        raise ValueError("items message must be a JSON object")  # noqa: TRY004 - a bad message, not a bad call
    items = []
    for n, record in enumerate(records):
        if isinstance(record, dict) and "title" in record and "fetched_at" in record:
            items.append(Item.from_json(record))
        else:
            items.append(feeds.item_from_input(record, f"message item {n}"))
    return items


class _ReadOutboxFn(beam.DoFn):
    """Items recorded before this run that still need (re)delivery; exhausted ones dead-lettered,
    and the operator told on the dead-letters topic (``kind=items_given_up``)."""

    def __init__(
        self,
        store_url: str,
        *,
        redeliver_after_s: float,
        max_attempts: int,
        retention_days: int,
        run_started: float,
        notices_topic: str | None = None,
        emulator_host: str | None = None,
    ):
        self._store_url = store_url
        self._notices_topic = notices_topic
        self._emulator_host = emulator_host
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
                redeliver_after_s=self._redeliver_after_s,
                max_attempts=self._max_attempts,
                first_seen_before=dt.datetime.fromtimestamp(self._run_started, dt.UTC),
            )
            if exhausted:
                store.give_up_items([i.id for i in exhausted])
        finally:
            store.close()
        self._redelivered.inc(len(due))
        if exhausted:
            self._tell_operator(exhausted)
        yield from due
        for item in exhausted:
            yield beam.pvalue.TaggedOutput(
                ERRORS,
                DeadLetter(
                    stage="PublishItems",
                    ref=item.id,
                    payload=json.dumps(item.to_json(), ensure_ascii=False),
                    error=f"not confirmed by the monitor after {self._max_attempts} deliveries",
                ),
            )

    def _tell_operator(self, exhausted: Sequence[Item]) -> None:
        ids = [i.id for i in exhausted]
        _log.warning(
            "%d item(s) were not confirmed by the monitor after %d deliveries; redelivery stopped, kept as dead "
            "letters (a slow monitor still processes them when they arrive): %s",
            len(ids),
            self._max_attempts,
            ", ".join(ids[:10]),
        )
        if not self._notices_topic:
            return
        from mentionwatch.pubsub.clients import publisher_client
        from mentionwatch.pubsub.publish import publish_notice

        body = json.dumps(
            {
                "kind": "items_given_up",
                "count": len(ids),
                "item_ids": ids[:1000],
                "attempts": self._max_attempts,
                "what_to_do": "check that the monitor is running and keeping up (mentionwatch watch shows it); the items "
                "are in the dead_letters table with their payload",
            }
        ).encode()
        client = publisher_client(self._emulator_host)
        try:
            publish_notice(
                client, self._notices_topic, body, "items-given-up notice", kind="items_given_up"
            )
        finally:
            client.stop()


class _PublishItemsFn(beam.DoFn):
    def __init__(
        self, topic: str, emulator_host: str | None, store_url: str, items_per_message: int
    ):
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
            futures.append(
                (chunk, self._client.publish(self._topic, data, retry=retry, **attributes))
            )
        for chunk, future in futures:
            try:
                future.result(timeout=60)
            except Exception as exc:  # noqa: BLE001 - any failure: the items stay in the outbox
                self._failed.inc(len(chunk))
                yield beam.pvalue.TaggedOutput(
                    ERRORS,
                    DeadLetter(
                        stage="PublishItems",
                        ref=chunk[0].id,
                        error=f"{type(exc).__name__}: {exc}; {len(chunk)} item(s) kept in the outbox for the next run",
                    ),
                )
                continue
            self._store.mark_items_published([i.id for i in chunk])
            self._published.inc(len(chunk))
            yield from chunk


# --------------------------------------------------------------------------- the job


def build_pipeline(
    p: beam.Pipeline,
    loaded: LoadedConfig,
    *,
    emulator_host: str | None,
    run_started: float | None = None,
) -> IngestOutputs:
    """Wires the ingest job for ``loaded`` (which must have a ``pubsub`` block)."""
    cfg = loaded.config
    if cfg.pubsub is None:
        raise ValueError("ingest publishes to Pub/Sub: the config needs a 'pubsub' block")
    store, ingest, fetching = cfg.store.url, cfg.ingest, cfg.fetch
    specs = p | "FeedSpecs" >> beam.Create(source_specs(loaded))
    outcomes, poll_errors = specs | "PollFeeds" >> PollSources(
        store,
        policy=FetchPolicy.from_settings(fetching),
        min_interval_s=ingest.host_min_interval_s,
        concurrency=ingest.host_concurrency,
    )
    entries = outcomes | "Entries" >> beam.FlatMap(lambda o: list(o.entries))
    keyed_items, bad_entries = (
        entries
        | "NormalizeItems"
        >> beam.Map(lambda e: (e.feed_url, feeds.entry_to_item(e))).with_exception_handling()
    )
    new_items, committed = (outcomes, keyed_items) | "CommitSources" >> CommitSources(store)
    notices = committed | "CheckSourceHealth" >> CheckSourceHealth(
        store, cfg.pubsub.topic_path(cfg.pubsub.topics.dead_letters), emulator_host
    )
    outbox = (
        p
        | "Tick" >> beam.Create([None])
        | "ReadOutbox"
        >> beam.ParDo(
            _ReadOutboxFn(
                store,
                redeliver_after_s=ingest.redeliver_after_s,
                max_attempts=ingest.max_attempts,
                retention_days=ingest.seen_retention_days,
                run_started=run_started or time.time(),
                notices_topic=cfg.pubsub.topic_path(cfg.pubsub.topics.dead_letters),
                emulator_host=emulator_host,
            )
        ).with_outputs(ERRORS, main="due")
    )
    topic = cfg.pubsub.topic_path(cfg.pubsub.topics.items)
    published = (
        (new_items, outbox.due)
        | "ToPublish" >> beam.Flatten()
        | "Batch"
        >> beam.BatchElements(
            min_batch_size=ingest.items_per_message, max_batch_size=10 * ingest.items_per_message
        )
        | "PublishItems"
        >> beam.ParDo(
            _PublishItemsFn(topic, emulator_host, store, ingest.items_per_message)
        ).with_outputs(ERRORS, main="published")
    )
    dead_letters = (
        poll_errors,
        bad_entries | "EntryErrors" >> ToDeadLetters("NormalizeItems", _entry_ref),
        outbox[ERRORS],
        published[ERRORS],
    ) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
    return IngestOutputs(published.published, dead_letters, notices)


def _entry_ref(entry: feeds.RawEntry) -> str:
    """A failed entry's dead-letter reference: its post (guid or link) within its source."""
    return f"{entry.feed_url}#{entry.guid or entry.link}"


@dataclasses.dataclass
class IngestSummary:
    feeds_fetched: int = 0
    not_modified: int = 0
    deferred: int = 0
    failed: int = 0
    new_items: int = 0
    redelivered: int = 0
    published: int = 0
    pages: int = 0
    truncated: int = 0
    health_notices: int = 0
    dead_letters: dict[str, int] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_result(cls, result) -> IngestSummary:
        run = Totals.of(result)
        totals = collections.Counter(run.namespace("mentionwatch.ingest"))
        return cls(
            feeds_fetched=totals["feeds_fetched"],
            not_modified=totals["feeds_not_modified"],
            deferred=totals["feeds_deferred"],
            failed=totals["feeds_failed"],
            new_items=totals["items_new"],
            redelivered=totals["items_redelivered"],
            published=totals["items_published"],
            pages=totals["pages_fetched"],
            truncated=totals["polls_truncated"],
            health_notices=totals["source_health_notices"],
            dead_letters=run.dead_letters(),
        )

    def line(self) -> str:
        return (
            f"feeds fetched {self.feeds_fetched} (304: {self.not_modified}, deferred {self.deferred}, failed {self.failed}"
            f"{f'; {self.pages} pages' if self.pages else ''}); "
            f"new items {self.new_items}, redelivered {self.redelivered}, published {self.published}"
            + (f"; {self.health_notices} source health notice(s)" if self.health_notices else "")
        )


def run_ingest(
    loaded: LoadedConfig, *, emulator_host: str | None, beam_args: Sequence[str] = ()
) -> IngestSummary:
    from apache_beam.options.pipeline_options import PipelineOptions

    p = beam.Pipeline(options=PipelineOptions(list(beam_args)))
    build_pipeline(p, loaded, emulator_host=emulator_host, run_started=time.time())
    result = p.run()
    result.wait_until_finish()
    return IngestSummary.from_result(result)
