"""The batch scan: feeds (or an items file) to stored mentions and alerts, in one job.

::

    ReadFeeds | ReadItemsFile ──► MatchSubjects ──► ClassifyMentions ──► WriteMentionHistory
                                                          │
                                                          └──► DecideAlerts ──► PublishAlerts
    every stage's errors ──► WriteDeadLetters
    items + classified mentions + alert decisions ──► --output JSON lines

It is the one-shot form of the event-driven flow (ingest → items topic →
monitor): for a check from cron, a demo, an evaluation run or a backfill. The
middle stages are the same composite transforms the streaming monitor uses;
only the edges differ, and they are injectable (``items=``, ``model_handler=``)
so tests run the whole graph on ``beam.Create`` input with a fake model.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping

import apache_beam as beam
import sqlalchemy as sa

from mentionwatch.alerts.engine import params_from_config
from mentionwatch.alerts.transform import DecideAlerts
from mentionwatch.classify.handler import MentionModelHandler
from mentionwatch.classify.model import Manifest, resolve_model_dir
from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.config import LoadedConfig
from mentionwatch.matching.transform import MatchSubjects
from mentionwatch.pubsub.publish import PublishAlerts
from mentionwatch.records import Alert, ClassifiedMention, Item, utc_now
from mentionwatch.runs import Totals, dead_letters_line, labels_text
from mentionwatch.sources.http import FetchPolicy
from mentionwatch.sources.transform import FeedSpec, ReadFeeds, ReadItemsFile
from mentionwatch.store import schema
from mentionwatch.store.transform import WriteDeadLetters, WriteMentionHistory
from mentionwatch.subjects import from_config
from mentionwatch.timeutil import parse_time


class ScanOutputs(typing.NamedTuple):
    items: beam.PCollection
    classified: beam.PCollection
    alerts: beam.PCollection
    published: beam.PCollection
    dead_letters: beam.PCollection
    results: beam.PCollection


def feed_specs(loaded: LoadedConfig) -> list[FeedSpec]:
    """Every source of the config (feeds and social), relative ``file:`` URLs resolved.

    The scan reads each source's newest page (see ``sources.transform``).
    """
    from mentionwatch.sources.registry import source_specs

    return source_specs(loaded)


def resolve_thresholds(loaded: LoadedConfig) -> dict[str, float]:
    """The config's thresholds, falling back to the model's calibrated ones.

    The model's other calibrated decision thresholds (``type:*``,
    ``evidence:*``, see ``classify.decision``) are passed through unchanged.
    """
    configured = loaded.config.model.thresholds
    calibrated = Manifest.read(resolve_model_dir(loaded.config.model.name)).thresholds
    resolved = {key: float(value) for key, value in calibrated.items()}
    resolved.update(
        {
            label: float(
                getattr(configured, label)
                if getattr(configured, label) is not None
                else calibrated.get(label, 0.5)
            )
            for label in ("harassment", "re_promotion")
        }
    )
    return resolved


def result_line(item_id: str, grouped: Mapping[str, list]) -> str:
    """One ``--output`` line: the item and every mention found in it.

    Keys: ``id``, ``url``, ``mentions`` (each with ``subject``, ``label``,
    ``harassment_type``, ``scores``, ``alert``, ``spans``, ``severity``,
    ``model``). See docs/architecture.md for the contract.
    """
    item: Item = grouped["item"][0]
    alerted = {a.mention_id: a for a in grouped["alerts"]}
    mentions = []
    for classified in sorted(grouped["classified"], key=lambda c: c.mention.subject):
        mention, result = classified.mention, classified.classification
        alert: Alert | None = alerted.get(mention.id)
        mentions.append(
            {
                "subject": mention.subject,
                "label": result.label,
                "harassment_type": result.harassment_type,
                "scores": {k: round(float(v), 4) for k, v in result.scores.items()},
                "alert": alert is not None,
                "severity": alert.severity if alert else None,
                "alert_id": alert.alert_id if alert else None,
                "spans": [s.to_json() for s in mention.spans],
                "model": {"id": result.model_id, "version": result.model_version},
            }
        )
    return json.dumps({"id": item_id, "url": item.url, "mentions": mentions}, ensure_ascii=False)


def _by_item(classified: ClassifiedMention):
    return classified.mention.item.id, classified


def build_pipeline(
    p: beam.Pipeline,
    loaded: LoadedConfig,
    *,
    input_path: str | None = None,
    output_path: str | None = None,
    items: beam.PTransform | None = None,
    model_handler=None,
    emulator_host: str | None = None,
) -> ScanOutputs:
    """Wires the scan.

    Args:
      p: the pipeline.
      loaded: the validated config.
      input_path: read items from this JSON-lines file instead of the feeds.
      output_path: write one JSON line per item here (a single file).
      items: a transform producing ``Item``s (tests inject ``beam.Create``);
        overrides feeds and ``input_path``.
      model_handler: overrides the configured model (tests inject a fake).
      emulator_host: the Pub/Sub emulator's ``HOST:PORT`` when using it.
    """
    cfg = loaded.config
    fetch = cfg.fetch
    if items is not None:
        source = p | "ReadItems" >> items
        source_errors = p | "NoSourceErrors" >> beam.Create([])
    else:
        read = (
            ReadItemsFile(input_path)
            if input_path
            else ReadFeeds(
                feed_specs(loaded),
                policy=FetchPolicy.from_settings(fetch),
                evidence_store=cfg.store.url,  # raw bodies kept as evidence (docs/history.md)
            )
        )
        result = p | "ReadItems" >> read
        source, source_errors = result.items, result.errors

    matched = source | "MatchSubjects" >> MatchSubjects(from_config(cfg.subjects, cfg.sources))
    handler = model_handler or MentionModelHandler.from_settings(cfg.model)
    classified = (
        matched.mentions
        | "SpreadMentions" >> beam.Reshuffle()
        | "ClassifyMentions" >> ClassifyMentions(handler, resolve_thresholds(loaded))
    )
    stored = classified.classified | "WriteMentionHistory" >> WriteMentionHistory(cfg.store.url)
    decided = classified.classified | "DecideAlerts" >> DecideAlerts(
        params_from_config(cfg.alerts, cfg.subjects)
    )
    topic = cfg.pubsub.topic_path(cfg.pubsub.topics.alerts) if cfg.pubsub else None
    published = decided.alerts | "PublishAlerts" >> PublishAlerts(
        cfg.store.url, topic, emulator_host
    )

    dead_letters = (
        source_errors,
        matched.errors,
        classified.errors,
        stored.errors,
        decided.errors,
        published.errors,
    ) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(cfg.store.url)

    results = (
        {
            "item": source | "KeyItems" >> beam.Map(lambda i: (i.id, i)),
            "classified": classified.classified | "KeyClassified" >> beam.Map(_by_item),
            "alerts": decided.alerts | "KeyAlerts" >> beam.Map(lambda a: (a.item_id, a)),
        }
        | "JoinByItem" >> beam.CoGroupByKey()
        | "OnlyKnownItems" >> beam.Filter(lambda kv: bool(kv[1]["item"]))
        | "ResultLines" >> beam.MapTuple(result_line)
    )
    if output_path:
        results | "WriteOutput" >> beam.io.WriteToText(
            output_path, shard_name_template="", num_shards=1
        )
    return ScanOutputs(
        source, classified.classified, decided.alerts, published.published, dead_letters, results
    )


# --------------------------------------------------------------------------- running


class PreflightError(RuntimeError):
    """The environment cannot run the job (model, store or Pub/Sub); says what to do."""


def preflight(
    loaded: LoadedConfig, emulator_host: str | None, *, check_pubsub: bool = True
) -> dict[str, float]:
    """Checks everything a run needs before any pipeline is built.

    Returns the resolved thresholds. Raises ``PreflightError`` with a fix.
    """
    from mentionwatch.classify.model import ModelLoadError, base_encoder_dir
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable
    from mentionwatch.store import HistoryStore, StoreUnavailable

    cfg = loaded.config
    try:
        model_dir = resolve_model_dir(cfg.model.name)
        base_encoder_dir(Manifest.read(model_dir).base, model_dir)
        thresholds = resolve_thresholds(loaded)
    except ModelLoadError as exc:
        raise PreflightError(f"model: {exc}") from None
    try:
        HistoryStore(cfg.store.url).close()  # creates the schema once, before workers race to
    except StoreUnavailable as exc:
        raise PreflightError(f"store: {exc}") from None
    if cfg.pubsub and check_pubsub:
        try:
            check_reachable(cfg.pubsub, emulator_host)
        except PubSubUnavailable as exc:
            raise PreflightError(f"pubsub: {exc}") from None
    return thresholds


@dataclasses.dataclass
class ScanSummary:
    """What a scan did, from the pipeline's metrics."""

    items: int = 0
    mentions: int = 0
    labels: dict[str, int] = dataclasses.field(default_factory=dict)
    alerts: int = 0
    published: int = 0
    pending: int = 0
    already: int = 0
    local: int = 0
    dead_letters: dict[str, int] = dataclasses.field(default_factory=dict)
    letters: list[tuple[str, str, str]] = dataclasses.field(
        default_factory=list
    )  # (stage, ref, error)

    MAX_LETTERS = 20  # listed one per line; the rest are counted

    @classmethod
    def from_result(cls, result, letters: list[tuple[str, str, str]] | None = None) -> ScanSummary:
        totals = Totals.of(result)
        return cls(
            items=totals["mentionwatch.match", "items"],
            mentions=totals["mentionwatch.match", "mentions"],
            labels=totals.labels(),
            alerts=totals["mentionwatch.alerts", "decided"],
            published=totals["mentionwatch.alerts", "published"],
            pending=totals["mentionwatch.alerts", "publish_failed"],
            already=totals["mentionwatch.alerts", "already_published"],
            local=totals["mentionwatch.alerts", "local"],
            dead_letters=totals.dead_letters(),
            letters=letters or [],
        )

    def lines(self) -> list[str]:
        how = [f"{self.published} new, published", f"{self.already} already published before"]
        if self.pending:
            how.append(f"{self.pending} pending (Pub/Sub refused; republished later)")
        if self.local:
            how.append(f"{self.local} local only (no pubsub block: nobody is told)")
        out = [
            f"items read      {self.items}",
            f"mentions        {self.mentions}  ({labels_text(self.labels)})",
            f"alerts          {self.alerts}  ({', '.join(how)})",
            dead_letters_line(self.dead_letters),
        ]
        for stage, ref, error in self.letters[: self.MAX_LETTERS]:
            out.append(f"  {stage:<16} {ref[:100]}: {error.splitlines()[0][:160] if error else ''}")
        if len(self.letters) > self.MAX_LETTERS:
            out.append(
                f"  … {len(self.letters) - self.MAX_LETTERS} more: mentionwatch history sql CONFIG "
                '"SELECT stage, ref, error FROM dead_letters ORDER BY time DESC"'
            )
        return out


def run_scan(
    loaded: LoadedConfig,
    *,
    input_path: str | None = None,
    output_path: str | None = None,
    beam_args: list[str] | None = None,
    emulator_host: str | None = None,
) -> ScanSummary:
    """Runs the scan to completion and returns its summary."""
    from apache_beam.options.pipeline_options import PipelineOptions

    options = PipelineOptions(beam_args or [])
    p = beam.Pipeline(options=options)
    build_pipeline(
        p, loaded, input_path=input_path, output_path=output_path, emulator_host=emulator_host
    )
    started = utc_now()
    result = p.run()
    result.wait_until_finish()
    return ScanSummary.from_result(result, _letters_since(loaded.config.store.url, started))


def _letters_since(store_url: str, since: str) -> list[tuple[str, str, str]]:
    """The dead letters this run wrote (stage, what failed, why; never the failing text)."""
    from mentionwatch.store import HistoryStore, StoreUnavailable

    table = schema.dead_letters
    try:
        store = HistoryStore(store_url, create=False)
        try:
            with store.engine.connect() as connection:
                rows = connection.execute(
                    sa.select(table.c.stage, table.c.ref, table.c.error)
                    .where(table.c.time >= parse_time(since))
                    .order_by(table.c.time, table.c.id)
                ).all()
        finally:
            store.close()
    except (StoreUnavailable, sa.exc.SQLAlchemyError):
        return []  # the counts above still say how many
    return [tuple(r) for r in rows]
