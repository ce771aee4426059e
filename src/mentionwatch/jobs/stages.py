"""The middle of every job's graph, defined once: ``MatchAndClassify`` and ``DecideAndPublish``.

::

    Item ─► MatchAndClassify ─────────────────────► ClassifiedMention
            (MatchSubjects → ClassifyMentions)       │
                                                     ▼
            DecideAndPublish: WriteMentionHistory, DecideAlerts → PublishAlerts
    both ─► errors (dead letters, for the job's WriteDeadLetters)

The scan, the monitor and the backfill differ only at their edges (where
items come from; the scan's ``--output``; the monitor's outbox
confirmations), so they apply these two composites between them. Each has a
``from_config`` that turns the validated config into the plain arguments the
stages take, building the model handler and the alert policy in one place.

The labels inside (``MatchSubjects``, ``ClassifyMentions``,
``WriteMentionHistory``, ``DecideAlerts``, ``PublishAlerts``) are part of
the streaming monitor's step names (``Monitor/DecideAndPublish/DecideAlerts``
…). Dataflow's ``--update`` matches a running job's steps by full name and
``DecideAlerts`` holds per-subject state, so these labels, and the ones the
jobs give the composites, must stay; ``jobs.monitor.UPDATE_NAME_MAPPING``
maps the names from before the composites existed.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence

import apache_beam as beam

from mentionwatch.alerts.engine import PolicyParams, params_from_config
from mentionwatch.alerts.transform import DecideAlerts
from mentionwatch.classify.beam_inference import ModelHandler
from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.config import LoadedConfig
from mentionwatch.jobs.preflight import resolve_thresholds
from mentionwatch.matching.transform import MatchSubjects
from mentionwatch.pubsub.publish import PublishAlerts
from mentionwatch.store.transform import WriteMentionHistory
from mentionwatch.subjects import SubjectSpec, from_config


class MatchAndClassifyResult(typing.NamedTuple):
    """What ``MatchAndClassify`` produces."""

    classified: beam.PCollection  # ClassifiedMention, one per subject found in an item
    counts: beam.PCollection  # (item id, subjects it mentions) for every item, zero included
    errors: beam.PCollection  # DeadLetter from matching and classification


class DecideAndPublishResult(typing.NamedTuple):
    """What ``DecideAndPublish`` produces."""

    written: beam.PCollection  # ClassifiedMention, once stored
    alerts: beam.PCollection  # Alert, as the policy decided it
    published: beam.PCollection  # Alert, recorded and then published (or recorded locally)
    errors: beam.PCollection  # DeadLetter from the store, the policy and Pub/Sub


class MatchAndClassify(beam.PTransform):
    """Item → ClassifiedMention: every subject found, each mention classified.

    Args:
      subjects: the subjects to find (``subjects.from_config``).
      model_handler: a ``ModelHandler[str, dict]`` returning label scores
        (``MentionModelHandler`` in production, a fake in fast tests).
      thresholds: the decision thresholds (``jobs.preflight.resolve_thresholds``).
      reshuffle: spread the mentions over workers before the model (a batch
        read from a few feeds arrives on a few workers).
    """

    def __init__(
        self,
        subjects: Sequence[SubjectSpec],
        model_handler: ModelHandler,
        thresholds: Mapping[str, float],
        *,
        reshuffle: bool = False,
    ):
        super().__init__()
        self._subjects = tuple(subjects)
        self._handler = model_handler
        self._thresholds = dict(thresholds)
        self._reshuffle = reshuffle

    @classmethod
    def from_config(
        cls,
        loaded: LoadedConfig,
        *,
        model_handler: ModelHandler | None = None,
        reshuffle: bool = False,
        batch_across_bundles: bool = False,
    ) -> MatchAndClassify:
        """The stage for a config: its subjects, its model and the resolved thresholds.

        ``model_handler`` replaces the configured model (tests inject a fake).
        ``batch_across_bundles`` (the monitor on a remote runner) batches the
        model's input across bundles, for at most ``model.max_batch_duration_s``
        (``MentionModelHandler.from_settings``).

        Raises:
          ModelLoadError: the configured model's manifest cannot be read.
        """
        from mentionwatch.classify.handler import MentionModelHandler

        cfg = loaded.config
        return cls(
            from_config(cfg.subjects, cfg.sources),
            model_handler
            or MentionModelHandler.from_settings(cfg.model, across_bundles=batch_across_bundles),
            resolve_thresholds(loaded),
            reshuffle=reshuffle,
        )

    def expand(self, items):
        """Wires MatchSubjects → (SpreadMentions) → ClassifyMentions; returns the named result."""
        matched = items | "MatchSubjects" >> MatchSubjects(self._subjects)
        mentions = matched.mentions
        if self._reshuffle:
            mentions = mentions | "SpreadMentions" >> beam.Reshuffle()
        classified = mentions | "ClassifyMentions" >> ClassifyMentions(
            self._handler, self._thresholds
        )
        errors = (matched.errors, classified.errors) | "Errors" >> beam.Flatten()
        return MatchAndClassifyResult(classified.classified, matched.counts, errors)


class DecideAndPublish(beam.PTransform):
    """ClassifiedMention → stored; Alert → recorded, published, marked published.

    Batch (the scan): every mention the policy selects is its own alert,
    decided beside the write. Streaming (the monitor): the policy's timeline
    (bursts, cooldown, pile-ons) decides each mention once it is stored and
    records each decision first, so an item is confirmed only when all of
    it is kept. Without a policy (the backfill) mentions are stored and no
    alert is made: a backfill revises the record, it pages nobody.

    Args:
      store_url: the history store.
      policy: the alert policy (``alerts.engine.params_from_config``), or None.
      topic: the alerts topic path, or None to record alerts locally only.
      emulator_host: the Pub/Sub emulator's ``HOST:PORT`` when using it.
      streaming: decide over time (``DecideAlerts(streaming=True)``).
      write_batch: mentions written per transaction.
    """

    def __init__(
        self,
        store_url: str,
        policy: PolicyParams | None,
        *,
        topic: str | None = None,
        emulator_host: str | None = None,
        streaming: bool = False,
        write_batch: int = 500,
    ):
        super().__init__()
        self._store_url = store_url
        self._policy = policy
        self._topic = topic
        self._emulator_host = emulator_host
        self._streaming = streaming
        self._write_batch = write_batch

    @classmethod
    def from_config(
        cls,
        loaded: LoadedConfig,
        *,
        alerts: bool = True,
        emulator_host: str | None = None,
        streaming: bool = False,
        write_batch: int = 500,
    ) -> DecideAndPublish:
        """The stage for a config: its store, its alert policy and its alerts topic.

        ``alerts=False`` stores the mentions only (no policy, no topic).
        """
        cfg = loaded.config
        policy, topic = None, None
        if alerts:
            policy = params_from_config(cfg.alerts, cfg.subjects)
            topic = cfg.pubsub.topic_path(cfg.pubsub.topics.alerts) if cfg.pubsub else None
        return cls(
            cfg.store.target(),
            policy,
            topic=topic,
            emulator_host=emulator_host,
            streaming=streaming,
            write_batch=write_batch,
        )

    def expand(self, classified):
        """Wires the write, the decision and the publish; returns the named result."""
        stored = classified | "WriteMentionHistory" >> WriteMentionHistory(
            self._store_url, max_batch=self._write_batch
        )
        if self._policy is None:
            none = classified.pipeline | "NoAlerts" >> beam.Create([])
            return DecideAndPublishResult(stored.written, none, none, stored.errors)
        decided = (stored.written if self._streaming else classified) | "DecideAlerts" >> (
            DecideAlerts(self._policy, streaming=self._streaming, store_url=self._store_url)
        )
        published = decided.alerts | "PublishAlerts" >> PublishAlerts(
            self._store_url, self._topic, self._emulator_host
        )
        errors = (stored.errors, decided.errors, published.errors) | "Errors" >> beam.Flatten()
        return DecideAndPublishResult(stored.written, decided.alerts, published.published, errors)
