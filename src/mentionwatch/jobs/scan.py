"""The batch scan: feeds (or an items file) to stored mentions and alerts, in one job.

::

    ReadFeeds | ReadItemsFile ──► MatchAndClassify ──► DecideAndPublish
    every stage's errors ──► WriteDeadLetters
    items + classified mentions + alert decisions ──► --output JSON lines

It is the one-shot form of the event-driven flow (ingest → items topic →
monitor): for a check from cron, a demo, an evaluation run or a backfill. The
middle stages are the composites the streaming monitor uses
(``jobs.stages``); only the edges differ, and they are injectable
(``items=``, ``model_handler=``) so tests run the whole graph on
``beam.Create`` input with a fake model.
"""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Mapping

import apache_beam as beam
import sqlalchemy as sa

from mentionwatch.config import LoadedConfig
from mentionwatch.jobs.stages import DecideAndPublish, MatchAndClassify
from mentionwatch.records import Alert, ClassifiedMention, Item, utc_now
from mentionwatch.runs import Totals, dead_letters_line, labels_text
from mentionwatch.sources.http import FetchPolicy
from mentionwatch.sources.registry import source_specs
from mentionwatch.sources.transform import ReadFeeds, ReadItemsFile
from mentionwatch.store import schema
from mentionwatch.store.transform import WriteDeadLetters
from mentionwatch.timeutil import parse_time


class ScanOutputs(typing.NamedTuple):
    """The scan's PCollections, for tests and callers that extend the graph."""

    items: beam.PCollection
    classified: beam.PCollection
    alerts: beam.PCollection
    published: beam.PCollection
    dead_letters: beam.PCollection
    results: beam.PCollection


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


def _read_items(p, loaded: LoadedConfig, input_path: str | None, items) -> tuple:
    """The scan's items and the errors of reading them: injected, a file, or the feeds."""
    if items is not None:
        return p | "ReadItems" >> items, p | "NoSourceErrors" >> beam.Create([])
    cfg = loaded.config
    read = (
        ReadItemsFile(input_path)
        if input_path
        else ReadFeeds(
            source_specs(loaded),  # every source's newest page (see sources.transform)
            policy=FetchPolicy.from_settings(cfg.fetch),
            evidence_store=cfg.store.target(),  # raw bodies kept as evidence (docs/history.md)
        )
    )
    result = p | "ReadItems" >> read
    return result.items, result.errors


def _result_lines(source, classified, alerts):
    """One ``--output`` line per item read: its mentions joined with its alerts."""
    return (
        {
            "item": source | "KeyItems" >> beam.Map(lambda i: (i.id, i)),
            "classified": classified | "KeyClassified" >> beam.Map(_by_item),
            "alerts": alerts | "KeyAlerts" >> beam.Map(lambda a: (a.item_id, a)),
        }
        | "JoinByItem" >> beam.CoGroupByKey()
        | "OnlyKnownItems" >> beam.Filter(lambda kv: bool(kv[1]["item"]))
        | "ResultLines" >> beam.MapTuple(result_line)
    )


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
    """Wires the scan and returns its named outputs.

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
    source, source_errors = _read_items(p, loaded, input_path, items)
    classified = source | "MatchAndClassify" >> MatchAndClassify.from_config(
        loaded, model_handler=model_handler, reshuffle=True
    )
    decided = classified.classified | "DecideAndPublish" >> DecideAndPublish.from_config(
        loaded, emulator_host=emulator_host
    )
    dead_letters = (
        source_errors,
        classified.errors,
        decided.errors,
    ) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(loaded.config.store.target())

    results = _result_lines(source, classified.classified, decided.alerts)
    if output_path:
        results | "WriteOutput" >> beam.io.WriteToText(
            output_path, shard_name_template="", num_shards=1
        )
    return ScanOutputs(
        source, classified.classified, decided.alerts, decided.published, dead_letters, results
    )


# --------------------------------------------------------------------------- running


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
        """The summary of a finished run, with the dead letters it wrote (``letters``)."""
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
        """The summary as printed: counts, then up to ``MAX_LETTERS`` dead letters."""
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
    return ScanSummary.from_result(result, _letters_since(loaded.config.store.target(), started))


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
