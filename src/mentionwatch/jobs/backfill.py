"""The backfill: match and classify stored items again, with a new model, keeping history.

::

    ReadStoredItems ──► MatchAndClassify ──► DecideAndPublish (store only, no alerts)
    every stage's errors ──► WriteDeadLetters

A batch job over what the store already holds: every item that mentioned a
subject (``items``) plus every item ingest saw and still remembers
(``item_outbox``, ``ingest.seen_retention_days``), optionally limited to a
fetch-time range. Matching runs again with the config's *current* subjects
(so a new alias finds old mentions in the items still remembered) and
classification runs with the model named by ``--model`` or the config's
``model.name``.

Rows are keyed by (mention, model id, model version): the new model's rows
are added beside the old ones, which stay, so history keeps both; the new
rows become each mention's current classification (``mentions.is_current``).
Running it twice with the same model changes nothing. No alerts are made: a
backfill revises the record, it does not page anyone about old mentions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import typing
from collections.abc import Sequence

import apache_beam as beam
import sqlalchemy as sa
from apache_beam.metrics import Metrics

from mentionwatch.config import LoadedConfig
from mentionwatch.jobs.stages import DecideAndPublish, MatchAndClassify
from mentionwatch.records import Item
from mentionwatch.runs import Totals, dead_letters_line, labels_text
from mentionwatch.store.transform import WriteDeadLetters


class BackfillOutputs(typing.NamedTuple):
    """The backfill's PCollections, for tests."""

    items: beam.PCollection
    classified: beam.PCollection
    written: beam.PCollection
    dead_letters: beam.PCollection


def _epoch(moment: dt.datetime | None) -> float | None:
    return moment.timestamp() if moment is not None else None


class _ReadStoredItemsFn(beam.DoFn):
    """Streams the stored items (items table, then outbox items not in it) in a fetch-time range."""

    def __init__(self, store_url: str, since: float | None, until: float | None, batch: int = 2000):
        self._store_url = store_url
        self._since = since
        self._until = until
        self._batch = batch
        self._read = Metrics.counter("mentionwatch.backfill", "items_read")

    def setup(self):
        from mentionwatch.store import HistoryStore

        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._store.close()

    def _range(self, column) -> list:
        conditions = []
        if self._since is not None:
            conditions.append(column >= dt.datetime.fromtimestamp(self._since, dt.UTC))
        if self._until is not None:
            conditions.append(column < dt.datetime.fromtimestamp(self._until, dt.UTC))
        return conditions

    def process(self, _):
        from mentionwatch.store import schema
        from mentionwatch.timeutil import iso_z

        items, outbox = schema.items, schema.item_outbox
        fetched = sa.func.coalesce(items.c.fetched_at, items.c.stored_at)
        stored = sa.select(items).where(*self._range(fetched)).order_by(items.c.id)
        remembered = (
            sa.select(outbox.c.payload)
            .select_from(outbox.outerjoin(items, items.c.id == outbox.c.item_id))
            .where(items.c.id.is_(None), *self._range(outbox.c.first_seen_at))
            .order_by(outbox.c.item_id)
        )

        with self._store.engine.connect() as connection:
            for row in (
                connection.execution_options(yield_per=self._batch).execute(stored).mappings()
            ):
                self._read.inc()
                yield Item(
                    id=row["id"],
                    source=row["source"],
                    url=row["url"],
                    title=row["title"],
                    text=row["text"],
                    author=row["author"],
                    published_at=iso_z(row["published_at"], "auto"),
                    fetched_at=iso_z(row["fetched_at"], "auto"),
                    language=row["language"],
                    raw_ref=row["raw_ref"],
                )
            for payload in (
                connection.execution_options(yield_per=self._batch).execute(remembered).scalars()
            ):
                self._read.inc()
                yield Item.from_json(payload)


class ReadStoredItems(beam.PTransform):
    """The items a backfill reads (see the module docstring)."""

    def __init__(
        self, store_url: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None
    ):
        super().__init__()
        self._fn = _ReadStoredItemsFn(store_url, _epoch(since), _epoch(until))

    def expand(self, pbegin):
        """Returns the stored items, spread over the workers."""
        return (
            pbegin
            | "Start" >> beam.Create([None])
            | "Read" >> beam.ParDo(self._fn)
            | "Spread" >> beam.Reshuffle()  # one reader; classification fans out
        )


def with_model(loaded: LoadedConfig, model: str | None) -> LoadedConfig:
    """The config with ``model.name`` replaced (``--model``), thresholds re-resolved from it."""
    if not model:
        return loaded
    cfg = loaded.config
    return LoadedConfig(
        cfg.model_copy(update={"model": cfg.model.model_copy(update={"name": model})}), loaded.path
    )


def build_pipeline(
    p: beam.Pipeline,
    loaded: LoadedConfig,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    model_handler=None,
    items: beam.PTransform | None = None,
) -> BackfillOutputs:
    """Wires the backfill for ``loaded`` (use ``with_model`` to pick the model).

    ``model_handler`` and ``items`` replace the configured model and the store
    reader (tests inject a fake model and ``beam.Create``).
    """
    store = loaded.config.store.target()
    source = p | "ReadStoredItems" >> (items or ReadStoredItems(store, since=since, until=until))
    classified = source | "MatchAndClassify" >> MatchAndClassify.from_config(
        loaded, model_handler=model_handler
    )
    # No alerts; bigger write batches than the streaming sink's: a bulk job, fewer commits.
    stored = classified.classified | "DecideAndPublish" >> DecideAndPublish.from_config(
        loaded, alerts=False, write_batch=5000
    )
    dead_letters = (classified.errors, stored.errors) | "AllErrors" >> beam.Flatten()
    dead_letters | "WriteDeadLetters" >> WriteDeadLetters(store)
    return BackfillOutputs(source, classified.classified, stored.written, dead_letters)


@dataclasses.dataclass
class BackfillSummary:
    """What a backfill did, from the pipeline's metrics."""

    items: int = 0
    mentions: int = 0
    labels: dict[str, int] = dataclasses.field(default_factory=dict)
    written: int = 0
    dead_letters: dict[str, int] = dataclasses.field(default_factory=dict)
    model: str = ""

    @classmethod
    def from_result(cls, result, model: str) -> BackfillSummary:
        """The summary of a finished run with ``model`` (``id@version``)."""
        totals = Totals.of(result)
        return cls(
            items=totals["mentionwatch.backfill", "items_read"],
            mentions=totals["mentionwatch.match", "mentions"],
            labels=totals.labels(),
            written=totals["mentionwatch.store", "mentions_written"],
            dead_letters=totals.dead_letters(),
            model=model,
        )

    def lines(self) -> list[str]:
        """The summary as printed, one line per figure."""
        return [
            f"model           {self.model}",
            f"items read      {self.items}",
            f"mentions        {self.mentions}  ({labels_text(self.labels)})",
            f"rows written    {self.written}  (new model version rows; earlier versions kept)",
            dead_letters_line(self.dead_letters),
        ]


def run_backfill(
    loaded: LoadedConfig,
    *,
    model: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    beam_args: Sequence[str] = (),
) -> BackfillSummary:
    """Checks the model and store, runs the backfill to completion, returns its summary.

    Raises:
      ModelLoadError: the model cannot be found or loaded.
    """
    from apache_beam.options.pipeline_options import PipelineOptions

    from mentionwatch.classify.model import Manifest, resolve_model_dir
    from mentionwatch.store import HistoryStore

    chosen = with_model(loaded, model)
    manifest = Manifest.read(resolve_model_dir(chosen.config.model.name))
    HistoryStore(chosen.config.store.target()).close()  # schema current before workers start
    p = beam.Pipeline(options=PipelineOptions(list(beam_args)))
    build_pipeline(p, chosen, since=since, until=until)
    result = p.run()
    result.wait_until_finish()
    return BackfillSummary.from_result(result, f"{manifest.model_id}@{manifest.version}")
