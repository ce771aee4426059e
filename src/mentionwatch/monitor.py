"""The monitor: a streaming job from the items topic to stored mentions and alerts.

::

    ReadFromPubSub(items) ─► DecodeItems ─► SkipProcessed ─► MatchSubjects ─► ClassifyMentions
                                                                 │                 │
                                              RecordExpected ◄───┘ counts          ▼
                                                                          WriteMentionHistory
                                                                                   │
                                          PublishAlerts ◄── DecideAlerts (streaming) ◄─┘
    every stage's errors ─► WriteDeadLetters

``MatchSubjects`` and ``ClassifyMentions`` are the same transforms the batch
scan uses. ``DecideAlerts`` runs in its streaming mode (bursts, cooldown,
pile-ons; see ``alerts.engine``) and records each decision in the store
before it acts on it.

Delivery: any producer can publish items to the topic (docs/event-driven.md).
On Dataflow, ``ReadFromPubSub`` deduplicates on the ``item_id`` attribute and
acknowledges after its checkpoint. The Python DirectRunner acknowledges on
pull and ignores ``id_label``, so the embedded mode adds its own guarantee:
ingest keeps every item in the store's outbox until the monitor confirms it
(``RecordExpected`` + ``DecideAlerts`` mark each item once all its mentions
are decided) and redelivers what is not confirmed; ``SkipProcessed`` drops
items already done, and content-derived ids make any repeat harmless.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.alerts.engine import params_from_config
from mentionwatch.alerts.transform import DecideAlerts
from mentionwatch.classify.handler import MentionModelHandler
from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.config import LoadedConfig
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.ingest import decode_items
from mentionwatch.matching.transform import MatchSubjects
from mentionwatch.pubsub.publish import PublishAlerts
from mentionwatch.records import Item
from mentionwatch.scan import resolve_thresholds
from mentionwatch.store import HistoryStore
from mentionwatch.store.transform import WriteDeadLetters, WriteMentionHistory
from mentionwatch.subjects import from_config
from mentionwatch.timeutil import iso_z, utc_now_iso


class MonitorOutputs(typing.NamedTuple):
    items: beam.PCollection
    classified: beam.PCollection
    alerts: beam.PCollection
    published: beam.PCollection
    dead_letters: beam.PCollection


def _decode(message) -> list[Item]:
    """Items of one Pub/Sub message, stamped with when the monitor read them.

    ``fetched_at`` defaults to the publish time for producers that do not set
    it; ``observed_at`` (now) is the alert policy's clock.
    """
    data = getattr(message, "data", message)
    items = decode_items(data)
    publish_time = getattr(message, "publish_time", None)
    published = iso_z(publish_time)
    observed = utc_now_iso("microseconds")
    return [
        dataclasses.replace(i, fetched_at=i.fetched_at or published, observed_at=observed)
        for i in items
    ]


class _BundleStoreFn(beam.DoFn):
    """Base for small store writes done once per bundle (buffered in ``process``)."""

    MAX = 500

    def __init__(self, store_url: str):
        self._store_url = store_url

    def setup(self):
        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._store.close()


class _SkipProcessedFn(_BundleStoreFn):
    def __init__(self, store_url: str):
        super().__init__(store_url)
        self._skipped = Metrics.counter("mentionwatch.monitor", "items_already_processed")

    def process(self, batch: Sequence[Item]):
        done = self._store.processed_item_ids([i.id for i in batch])
        self._skipped.inc(len(done))
        for item in batch:
            if item.id not in done:
                yield item


class _RecordExpectedFn(_BundleStoreFn):
    def process(self, batch: Sequence[tuple[str, int]]):
        self._store.set_mentions_expected(dict(batch))
        return ()


class MonitorItems(beam.PTransform):
    """The monitor's graph after the source, so tests can feed it any messages."""

    def __init__(self, loaded: LoadedConfig, *, emulator_host: str | None, model_handler=None):
        super().__init__()
        self._loaded = loaded
        self._emulator_host = emulator_host
        self._handler = model_handler

    def expand(self, messages):
        cfg = self._loaded.config
        store = cfg.store.url
        decoded, undecodable = (
            messages | "DecodeItems" >> beam.FlatMap(_decode).with_exception_handling()
        )
        fresh = (
            decoded
            | "BatchItems" >> beam.BatchElements(min_batch_size=1, max_batch_size=500)
            | "SkipProcessed" >> beam.ParDo(_SkipProcessedFn(store))
        )
        matched = fresh | "MatchSubjects" >> MatchSubjects(from_config(cfg.subjects, cfg.sources))
        (
            matched.counts
            | "BatchCounts" >> beam.BatchElements(min_batch_size=1, max_batch_size=500)
            | "RecordExpected" >> beam.ParDo(_RecordExpectedFn(store))
        )
        handler = self._handler or MentionModelHandler.from_settings(cfg.model)
        classified = matched.mentions | "ClassifyMentions" >> ClassifyMentions(
            handler, resolve_thresholds(self._loaded)
        )
        stored = classified.classified | "WriteMentionHistory" >> WriteMentionHistory(store)
        decided = stored.written | "DecideAlerts" >> DecideAlerts(
            params_from_config(cfg.alerts, cfg.subjects), streaming=True, store_url=store
        )
        topic = cfg.pubsub.topic_path(cfg.pubsub.topics.alerts) if cfg.pubsub else None
        published = decided.alerts | "PublishAlerts" >> PublishAlerts(
            store, topic, self._emulator_host
        )
        dead_letters = (
            undecodable
            | "DecodeErrors"
            >> ToDeadLetters("DecodeItems", lambda f: getattr(f, "message_id", None) or "message"),
            matched.errors,
            classified.errors,
            stored.errors,
            decided.errors,
            published.errors,
        ) | "AllErrors" >> beam.Flatten()
        dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
        return MonitorOutputs(
            fresh, classified.classified, decided.alerts, published.published, dead_letters
        )


def build_pipeline(
    p: beam.Pipeline, loaded: LoadedConfig, *, emulator_host: str | None, dedupe_attribute: bool
) -> MonitorOutputs:
    """The streaming monitor reading the config's items subscription.

    Args:
      dedupe_attribute: pass ``id_label="item_id"`` to ``ReadFromPubSub``
        (supported by Dataflow; the Python DirectRunner rejects it).
    """
    settings = loaded.config.pubsub
    if settings is None:
        raise ValueError("the monitor reads the items topic: the config needs a 'pubsub' block")
    messages = p | "ReadItems" >> beam.io.ReadFromPubSub(
        subscription=settings.subscription_path(settings.subscriptions.items),
        with_attributes=True,
        id_label="item_id" if dedupe_attribute else None,
    )
    return messages | "Monitor" >> MonitorItems(loaded, emulator_host=emulator_host)


def run_monitor(loaded: LoadedConfig, *, emulator_host: str | None, beam_args: Sequence[str] = ()):
    """Starts the streaming monitor and returns its PipelineResult (runs until cancelled)."""
    import os

    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    options = PipelineOptions(list(beam_args))
    options.view_as(StandardOptions).streaming = True
    runner = options.view_as(StandardOptions).runner or "DirectRunner"
    direct = "direct" in str(runner).lower()
    if emulator_host and direct:
        # The DirectRunner's Pub/Sub reader builds its own client from the
        # environment; this process exists to run the monitor, so set it here.
        os.environ["PUBSUB_EMULATOR_HOST"] = emulator_host
    p = beam.Pipeline(options=options)
    build_pipeline(p, loaded, emulator_host=emulator_host, dedupe_attribute=not direct)
    return p.run()
