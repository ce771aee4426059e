"""Items and their classified mentions: the rows analysts query, and the decided mark.

A mention is stored once per (mention, model id, model version): a replay
upserts, a new model version adds a row and becomes the mention's current
classification (``is_current``). ``mark_decided`` records that the alert
decision about a mention is durable, which is what lets the item outbox
(``store.outbox``) confirm an item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch import timeutil
from mentionwatch.alerts.selection import severity
from mentionwatch.records import ClassifiedMention, Item
from mentionwatch.store import derive, schema
from mentionwatch.store.base import StoreBase
from mentionwatch.timeutil import parse_time

# The columns a replay of the same mention and model version overwrites.
_MENTION_UPDATE = (
    "label",
    "harassment_type",
    "score",
    "scores",
    "spans",
    "signals",
    "thresholds",
    "classified_at",
    "severity",
    "is_current",
)
# Mention ids per UPDATE ... IN (...): stays under SQLite's bound-parameter limit.
_IDS_PER_STATEMENT = 900


class MentionStore(StoreBase):
    """Writes items and mentions; reads the harassment history of a subject."""

    @staticmethod
    def item_rows(items: Iterable[Item], now: dt.datetime) -> list[dict[str, Any]]:
        """The ``items`` rows for ``items`` (one per id, the first wins), stored at ``now``."""
        rows = {
            item.id: {
                "id": item.id,
                "source": item.source,
                "url": item.url,
                "title": item.title,
                "text": item.text,
                "author": item.author,
                "published_at": parse_time(item.published_at),
                "fetched_at": parse_time(item.fetched_at),
                "language": item.language,
                "raw_ref": item.raw_ref,
                "stored_at": now,
            }
            for item in items
        }
        return list(rows.values())

    def write_items(self, items: Iterable[Item]) -> None:
        """Stores items (an item already stored is left as it is)."""
        self.upsert(schema.items, self.item_rows(items, timeutil.now()), ["id"])

    @staticmethod
    def mention_row(
        entry: ClassifiedMention, now: dt.datetime, mention_id: str | None = None
    ) -> dict[str, Any]:
        """The ``mentions`` row for one classified mention (see ``schema.mentions``)."""
        mention, result = entry.mention, entry.classification
        item = mention.item
        scores = result.scores
        top = float(scores.get(result.label, 0.0))
        published = parse_time(item.published_at)
        return {
            "mention_id": mention_id or mention.id,
            "item_id": item.id,
            "subject": mention.subject,
            "label": result.label,
            "harassment_type": result.harassment_type,
            "score": top,
            "scores": {k: round(float(v), 5) for k, v in scores.items()},
            # Span.to_json, without dataclasses.asdict's deep copies (this runs per stored mention).
            "spans": [
                {
                    "field": s.field,
                    "start": s.start,
                    "end": s.end,
                    "matched": s.matched,
                    "variant": s.variant,
                }
                for s in mention.spans
            ],
            "signals": list(result.signals),
            "model_id": result.model_id,
            "model_version": result.model_version,
            "thresholds": dict(result.thresholds),
            "source": item.source,
            "published_at": published,
            "classified_at": now,
            "occurred_at": derive.occurred_at(published, parse_time(item.fetched_at), now),
            "domain": derive.domain_of(item.url)[:255],
            "author": (item.author or "")[:500],
            "severity": severity(
                result.label,
                result.harassment_type,
                top,
                float(result.thresholds.get(result.label, 0.5)),
            ),
            "is_current": True,
        }

    def write_mentions(self, classified: Sequence[ClassifiedMention]) -> None:
        """Stores mentions (and their items) in one transaction.

        The same mention and model version upserts (a replay changes nothing
        but ``classified_at``); a new model version adds a row. The rows
        written become the mention's current classification (``is_current``);
        rows of other model versions of the same mentions stop being current.
        """
        if not classified:
            return
        now = timeutil.now()
        rows = {}
        for entry in classified:
            result = entry.classification
            mention_id = entry.mention.id  # a hash: computed once per mention
            rows[(mention_id, result.model_id, result.model_version)] = self.mention_row(
                entry, now, mention_id
            )
        table = schema.mentions
        with self.transaction() as connection:
            connection.execute(
                self.upsert_statement(schema.items, ["id"]),
                self.item_rows((c.mention.item for c in classified), now),
            )
            connection.execute(
                self.upsert_statement(
                    table, ["mention_id", "model_id", "model_version"], _MENTION_UPDATE
                ),
                list(rows.values()),
            )
            self._retire_other_versions(connection, rows)

    def _retire_other_versions(
        self, connection: sa.Connection, rows: dict[tuple[str, str, str], Any]
    ) -> None:
        """Marks the other model versions' rows of the mentions just written as not current."""
        table = schema.mentions
        versions: dict[tuple[str, str], set[str]] = {}
        for mention_id, model_id, model_version in rows:
            versions.setdefault((model_id, model_version), set()).add(mention_id)
        if self.engine.dialect.name == "postgresql":
            # The lookup below is by mention_id (the unique index). Right
            # after a bulk load the planner has no statistics yet and may
            # pick a scan of the whole table for every batch; this
            # transaction never needs one.
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        for (model_id, model_version), mention_ids in versions.items():
            ids = sorted(mention_ids)
            for start in range(0, len(ids), _IDS_PER_STATEMENT):
                connection.execute(
                    table.update()
                    .where(
                        table.c.mention_id.in_(ids[start : start + _IDS_PER_STATEMENT]),
                        table.c.is_current == sa.true(),
                        sa.not_(
                            sa.and_(
                                table.c.model_id == model_id,
                                table.c.model_version == model_version,
                            )
                        ),
                    )
                    .values(is_current=False)
                )

    def mark_decided(self, mention_ids: Sequence[str]) -> None:
        """Marks mentions whose alert decision is durable (held, pending or none)."""
        if not mention_ids:
            return
        table = schema.mentions
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.mention_id.in_(list(mention_ids)), table.c.decided_at.is_(None))
                .values(decided_at=timeutil.now())
            )

    def harassment_times(
        self, subject: str, *, since: dt.datetime, until: dt.datetime
    ) -> list[float]:
        """When harassment of ``subject`` happened (epoch seconds), for the pile-on baseline.

        Event time (``occurred_at``) of each mention's current classification,
        the clock the streaming policy runs on; a backfill that re-classifies a
        year of mentions today does not look like a spike today.
        """
        table = schema.mentions
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.occurred_at).where(
                    table.c.subject == subject,
                    table.c.occurred_at >= since,
                    table.c.occurred_at < until,
                    table.c.label == "harassment",
                    table.c.is_current == sa.true(),
                )
            ).scalars()
            return [parse_time(moment).timestamp() for moment in rows]
