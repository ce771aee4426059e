"""The monitor: a streaming job from the items topic to stored mentions and alerts.

::

    ReadFromPubSub(items) ─► DecodeItems ─► SkipProcessed ─► MatchAndClassify ─► DecideAndPublish
                                                                │      (streaming)
                                             RecordExpected ◄───┘ counts
    every stage's errors ─► WriteDeadLetters

``MatchAndClassify`` and ``DecideAndPublish`` are the composites the batch
scan uses (``jobs.stages``). ``DecideAlerts`` inside runs in its streaming
mode (bursts, cooldown, pile-ons; see ``alerts.engine``), decides each
mention once it is stored and records each decision in the store before it
acts on it.

Delivery: any producer can publish items to the topic (docs/event-driven.md).
On Dataflow, ``ReadFromPubSub`` deduplicates on the ``item_id`` attribute
(ingest re-sends a message under its first ``item_id``, ``jobs.outbox``),
takes each element's event time from the producer's ``published_at``
attribute, and acknowledges after its checkpoint. The Python DirectRunner acknowledges on
pull and ignores ``id_label``, so the embedded mode adds its own guarantee:
ingest keeps every item in the store's outbox until the monitor confirms it
(``RecordExpected`` + ``DecideAlerts`` mark each item once all its mentions
are decided) and redelivers what is not confirmed; ``SkipProcessed`` drops
items already done, and content-derived ids make any repeat harmless.

Step names are what Dataflow's ``--update`` matches a running job's state
by: the labels here (``ReadItems``, ``Monitor``, ``DecodeItems``,
``SkipProcessed``, ``RecordExpected``, ``WriteDeadLetters`` …) must stay. A
monitor started before the two composites existed is updated with
``--transform_name_mapping`` set to ``UPDATE_NAME_MAPPING`` (JSON).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.config import LoadedConfig
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.jobs.stages import DecideAndPublish, MatchAndClassify
from mentionwatch.messages import ID_ATTRIBUTE, TIMESTAMP_ATTRIBUTE, decode_items
from mentionwatch.records import Item
from mentionwatch.store import HistoryStore
from mentionwatch.store.transform import WriteDeadLetters
from mentionwatch.timeutil import iso_z, parse_time, utc_now_iso

# The monitor's step names before ``MatchAndClassify`` and ``DecideAndPublish``
# wrapped its middle (old prefix → new prefix), for the first ``--update``.
UPDATE_NAME_MAPPING = {
    f"Monitor/{stage}": f"Monitor/{composite}/{stage}"
    for composite, stages in (
        ("MatchAndClassify", ("MatchSubjects", "ClassifyMentions")),
        ("DecideAndPublish", ("WriteMentionHistory", "DecideAlerts", "PublishAlerts")),
    )
    for stage in stages
}


class MonitorOutputs(typing.NamedTuple):
    """The monitor's PCollections, for tests."""

    items: beam.PCollection
    classified: beam.PCollection
    alerts: beam.PCollection
    published: beam.PCollection
    dead_letters: beam.PCollection


def producer_time(attributes) -> dt.datetime | None:
    """The message's ``published_at`` attribute as an aware time; None if absent or unreadable.

    RFC 3339 or milliseconds since the epoch, as Beam's ``timestamp_attribute``
    reads it. It is read here rather than by ``ReadFromPubSub``, whose reader
    fails the whole read (on the DirectRunner and on Dataflow) on one
    malformed value: a message from another producer must not stop the stream.
    """
    value = (attributes or {}).get(TIMESTAMP_ATTRIBUTE)
    if not value:
        return None
    try:
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC)
        return parse_time(value)
    except (ValueError, OverflowError, OSError):
        return None


def _decode(message) -> list:
    """Items of one Pub/Sub message, stamped with the alert policy's clock.

    The producer's ``published_at`` attribute, when readable, is each item's
    event time and its ``observed_at`` (the policy's clock), so a replay or a
    redelivery is decided on the same clock; otherwise the element keeps
    Pub/Sub's publish time and ``observed_at`` is when the monitor read it.
    ``fetched_at`` defaults to the publish time for producers that do not set
    it.
    """
    data = getattr(message, "data", message)
    items = decode_items(data)
    published = iso_z(getattr(message, "publish_time", None))
    produced = producer_time(getattr(message, "attributes", None))
    observed = iso_z(produced, "microseconds") if produced else utc_now_iso("microseconds")
    stamped = [
        dataclasses.replace(i, fetched_at=i.fetched_at or published, observed_at=observed)
        for i in items
    ]
    if produced is None:
        return stamped
    return [beam.window.TimestampedValue(i, produced.timestamp()) for i in stamped]


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

    def __init__(
        self,
        loaded: LoadedConfig,
        *,
        emulator_host: str | None,
        model_handler=None,
        batch_across_bundles: bool = False,
    ):
        super().__init__()
        self._loaded = loaded
        self._emulator_host = emulator_host
        self._handler = model_handler
        self._across_bundles = batch_across_bundles

    def expand(self, messages):
        """Wires the monitor's graph from the messages on; returns its named outputs."""
        # Labels are step names: Dataflow's --update matches them (module docstring).
        store = self._loaded.config.store.target()
        decoded, undecodable = (
            messages | "DecodeItems" >> beam.FlatMap(_decode).with_exception_handling()
        )
        fresh = (
            decoded
            | "BatchItems" >> beam.BatchElements(min_batch_size=1, max_batch_size=500)
            | "SkipProcessed" >> beam.ParDo(_SkipProcessedFn(store))
        )
        classified = fresh | "MatchAndClassify" >> MatchAndClassify.from_config(
            self._loaded, model_handler=self._handler, batch_across_bundles=self._across_bundles
        )
        (
            classified.counts
            | "BatchCounts" >> beam.BatchElements(min_batch_size=1, max_batch_size=500)
            | "RecordExpected" >> beam.ParDo(_RecordExpectedFn(store))
        )
        decided = classified.classified | "DecideAndPublish" >> DecideAndPublish.from_config(
            self._loaded, emulator_host=self._emulator_host, streaming=True
        )
        dead_letters = (
            undecodable
            | "DecodeErrors"
            >> ToDeadLetters("DecodeItems", lambda f: getattr(f, "message_id", None) or "message"),
            classified.errors,
            decided.errors,
        ) | "AllErrors" >> beam.Flatten()
        dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
        return MonitorOutputs(
            fresh, classified.classified, decided.alerts, decided.published, dead_letters
        )


def build_pipeline(
    p: beam.Pipeline, loaded: LoadedConfig, *, emulator_host: str | None, dedupe_attribute: bool
) -> MonitorOutputs:
    """Wires the streaming monitor reading the config's items subscription.

    Args:
      p: the pipeline (streaming).
      loaded: the validated config; it must have a ``pubsub`` block.
      emulator_host: the Pub/Sub emulator's ``HOST:PORT`` when using it.
      dedupe_attribute: the runner is remote (Dataflow): pass
        ``id_label="item_id"`` to ``ReadFromPubSub`` (the Python DirectRunner
        rejects it) and batch the model's input across bundles (the
        DirectRunner's timers would hold a lone mention back).

    Each element's event time is the producer's ``published_at`` attribute
    when readable (set by ``DecodeItems``, see ``producer_time``), else
    Pub/Sub's publish time, which on Dataflow the watermark follows.

    Raises:
      ValueError: the config has no ``pubsub`` block.
    """
    settings = loaded.config.pubsub
    if settings is None:
        raise ValueError("the monitor reads the items topic: the config needs a 'pubsub' block")
    messages = p | "ReadItems" >> beam.io.ReadFromPubSub(
        subscription=settings.subscription_path(settings.subscriptions.items),
        with_attributes=True,
        id_label=ID_ATTRIBUTE if dedupe_attribute else None,
    )
    return messages | "Monitor" >> MonitorItems(
        loaded, emulator_host=emulator_host, batch_across_bundles=dedupe_attribute
    )


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
