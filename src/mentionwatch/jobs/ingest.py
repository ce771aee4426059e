"""The ingest job: poll every source politely, keep what is new, publish it to the items topic.

::

    source specs ─► PollSources ► normalize ─► CommitSources ► PublishItems ─► topic  items
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
source is one or more pages of requests
(``mentionwatch.sources.poll_once``), and the Beam stages live in
``mentionwatch.sources.ingest_stages`` and, for the outbox,
``mentionwatch.jobs.outbox``. A batch job, run every
``ingest.poll_interval_s`` by ``mentionwatch watch`` (or by cron /
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
  decided; items not confirmed within ``redeliver_after_s`` (default 900 s:
  longer than a Dataflow monitor's ordinary lag, so a busy monitor is not
  fed copies) are published again, in their first message's grouping and
  under its ``item_id`` (Dataflow's ``id_label`` drops a copy it already
  has; the monitor's ``SkipProcessed`` skips what it already did), up to
  ``max_attempts``, then dead-lettered with the reason.
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
import time
import typing
from collections.abc import Sequence

import apache_beam as beam

from mentionwatch.config import LoadedConfig
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.jobs.outbox import PublishItems, ReadOutbox, as_new
from mentionwatch.runs import Totals
from mentionwatch.sources import entries
from mentionwatch.sources.http import FetchPolicy
from mentionwatch.sources.ingest_stages import CheckSourceHealth, CommitSources, PollSources
from mentionwatch.sources.registry import source_specs
from mentionwatch.store.transform import WriteDeadLetters


class IngestOutputs(typing.NamedTuple):
    """The ingest job's PCollections, for tests."""

    published: beam.PCollection
    dead_letters: beam.PCollection
    health_notices: beam.PCollection


# --------------------------------------------------------------------------- the job


def build_pipeline(
    p: beam.Pipeline,
    loaded: LoadedConfig,
    *,
    emulator_host: str | None,
    run_started: float | None = None,
) -> IngestOutputs:
    """Wires the ingest job for ``loaded`` and returns its named outputs.

    Raises:
      ValueError: the config has no ``pubsub`` block.
    """
    cfg = loaded.config
    if cfg.pubsub is None:
        raise ValueError("ingest publishes to Pub/Sub: the config needs a 'pubsub' block")
    store, ingest = cfg.store.target(), cfg.ingest
    notices_topic = cfg.pubsub.topic_path(cfg.pubsub.topics.dead_letters)
    specs = p | "SourceSpecs" >> beam.Create(source_specs(loaded))
    # A batch job: its step labels are free to follow the class names. The
    # dead letters' stage names are stored data and stay (``PollFeeds``, …).
    polled = specs | "PollSources" >> PollSources(
        store,
        policy=FetchPolicy.from_settings(cfg.fetch),
        min_interval_s=ingest.host_min_interval_s,
        concurrency=ingest.host_concurrency,
    )
    keyed_items, bad_entries = (
        polled.outcomes
        | "Entries" >> beam.FlatMap(lambda o: list(o.entries))
        | "NormalizeItems"
        >> beam.Map(lambda e: (e.feed_url, entries.entry_to_item(e))).with_exception_handling()
    )
    committed = (polled.outcomes, keyed_items) | "CommitSources" >> CommitSources(store)
    notices = committed.health | "CheckSourceHealth" >> CheckSourceHealth(
        store, notices_topic, emulator_host
    )
    outbox = p | "ReadOutbox" >> ReadOutbox(
        store,
        redeliver_after_s=ingest.redeliver_after_s,
        max_attempts=ingest.max_attempts,
        retention_days=ingest.seen_retention_days,
        run_started=run_started or time.time(),
        notices_topic=notices_topic,
        emulator_host=emulator_host,
    )
    published = (
        (committed.new_items | "NewMessages" >> beam.Map(as_new), outbox.due)
        | "ToPublish" >> beam.Flatten()
        | "PublishItems"
        >> PublishItems(
            cfg.pubsub.topic_path(cfg.pubsub.topics.items),
            emulator_host,
            store,
            ingest.items_per_message,
        )
    )
    dead_letters = (
        polled.errors,
        bad_entries | "EntryErrors" >> ToDeadLetters("NormalizeItems", _entry_ref),
        outbox.errors,
        published.errors,
    ) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
    return IngestOutputs(published.published, dead_letters, notices)


def _entry_ref(entry: entries.RawEntry) -> str:
    """A failed entry's dead-letter reference: its post (guid or link) within its source."""
    return f"{entry.feed_url}#{entry.guid or entry.link}"


@dataclasses.dataclass
class IngestSummary:
    """What an ingest run did, from the pipeline's metrics."""

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
        """The summary of a finished run."""
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
        """The summary as one printed line."""
        return (
            f"feeds fetched {self.feeds_fetched} (304: {self.not_modified}, "
            f"deferred {self.deferred}, failed {self.failed}"
            f"{f'; {self.pages} pages' if self.pages else ''}); "
            f"new items {self.new_items}, redelivered {self.redelivered}, "
            f"published {self.published}"
            + (f"; {self.health_notices} source health notice(s)" if self.health_notices else "")
        )


def run_ingest(
    loaded: LoadedConfig, *, emulator_host: str | None, beam_args: Sequence[str] = ()
) -> IngestSummary:
    """Runs one ingest to completion and returns its summary."""
    from apache_beam.options.pipeline_options import PipelineOptions

    p = beam.Pipeline(options=PipelineOptions(list(beam_args)))
    build_pipeline(p, loaded, emulator_host=emulator_host, run_started=time.time())
    result = p.run()
    result.wait_until_finish()
    return IngestSummary.from_result(result)
