"""Retention: how long each kind of stored data is kept, and the purge that applies it.

==========================  ==============================  =====================================
data                        kept                            setting
==========================  ==============================  =====================================
raw bodies + fetch records  while a stored item (or a       ``store.retention.raw_days`` (7)
                            takedown re-check) refers
                            to them; otherwise
                            ``raw_days`` after the last
                            fetch
mentions, their items,      ``history_days`` (by when the   ``store.retention.history_days``
alerts, and the evidence    mention happened / the alert    (unset: kept)
they refer to               was made), or until deleted
                            by hand
dead letters                ``dead_letters_days``           ``store.retention.dead_letters_days``
                                                            (90)
items seen by ingest        ``seen_retention_days`` after   ``ingest.seen_retention_days`` (30)
(outbox), once processed    first seen
feed state / source health  always (one row per feed)       —
==========================  ==============================  =====================================

Raw bodies are the bulk of the store (a feed is fetched whole, every time it
changes), and most of them mention nobody; they go quickly. A body that a
stored mention came from is evidence and stays exactly as long as the mention.
``apply_retention`` runs from ``mentionwatch store retention CONFIG`` (cron,
daily); ``dry_run`` counts what would go without deleting anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.store.db import HistoryStore
from mentionwatch.store.engine import StoreUnavailable


@dataclasses.dataclass(frozen=True)
class RetentionPolicy:
    """How many days each kind of data is kept (None: kept until deleted by hand)."""

    raw_days: int = 7
    dead_letters_days: int = 90
    history_days: int | None = None
    seen_days: int | None = None

    @classmethod
    def from_config(cls, config) -> RetentionPolicy:
        """From a ``Config`` (its ``store.retention`` block and ``ingest.seen_retention_days``)."""
        block = config.store.retention
        return cls(
            block.raw_days,
            block.dead_letters_days,
            block.history_days,
            config.ingest.seen_retention_days,
        )


def _statements(
    policy: RetentionPolicy, now: dt.datetime
) -> list[tuple[str, sa.Table, sa.ColumnElement]]:
    """(name, table, what to delete), in the order they must run."""
    items, mentions, alerts = schema.items, schema.mentions, schema.alerts
    fetches, blobs, letters, outbox = (
        schema.fetches,
        schema.evidence_blobs,
        schema.dead_letters,
        schema.item_outbox,
    )
    raw_cutoff = now - dt.timedelta(days=policy.raw_days)
    steps: list[tuple[str, sa.Table, sa.ColumnElement]] = []
    if policy.history_days is not None:
        cutoff = now - dt.timedelta(days=policy.history_days)
        steps += [
            (
                "mentions",
                mentions,
                sa.or_(
                    mentions.c.occurred_at < cutoff,
                    sa.and_(mentions.c.occurred_at.is_(None), mentions.c.classified_at < cutoff),
                ),
            ),
            # An alert not yet sent is never deleted, however old.
            (
                "alerts",
                alerts,
                sa.and_(alerts.c.created_at < cutoff, alerts.c.status.not_in(("pending", "held"))),
            ),
            # Items exist for their mentions (written in the same transaction);
            # one with neither mentions nor alerts left has nothing to back.
            (
                "items",
                items,
                sa.and_(
                    ~sa.exists().where(mentions.c.item_id == items.c.id),
                    ~sa.exists().where(alerts.c.item_id == items.c.id),
                ),
            ),
        ]
    # A fetch is evidence while an item came from its body or a takedown re-check recorded it.
    referenced_fetch = sa.or_(
        sa.exists().where(items.c.raw_ref == fetches.c.sha256),
        sa.exists().where(schema.takedown_events.c.fetch_id == fetches.c.fetch_id),
    )
    steps += [
        ("fetches", fetches, sa.and_(fetches.c.last_fetched_at < raw_cutoff, ~referenced_fetch)),
        (
            "evidence_blobs",
            blobs,
            sa.and_(
                blobs.c.stored_at < raw_cutoff,
                ~sa.exists().where(fetches.c.sha256 == blobs.c.sha256),
                ~sa.exists().where(items.c.raw_ref == blobs.c.sha256),
            ),
        ),
        (
            "dead_letters",
            letters,
            letters.c.time < now - dt.timedelta(days=policy.dead_letters_days),
        ),
    ]
    if policy.seen_days is not None:
        steps.append(
            (
                "item_outbox",
                outbox,
                sa.and_(
                    outbox.c.first_seen_at < now - dt.timedelta(days=policy.seen_days),
                    outbox.c.processed_at.is_not(None),
                ),
            )
        )
    return steps


def apply_retention(
    store: HistoryStore,
    policy: RetentionPolicy,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> dict[str, int]:
    """Deletes what the policy no longer keeps; returns rows deleted (or that would be) per table.

    Runs in one transaction: either everything due goes, or nothing does.
    With ``dry_run`` each step counts what it would delete given that the
    steps before it had run (so the counts add up like a real run's).
    """
    now = now or dt.datetime.now(dt.UTC)
    counts: dict[str, int] = {}
    try:
        with store.engine.connect() as connection, connection.begin() as transaction:
            for name, table, condition in _statements(policy, now):
                counts[name] = int(
                    connection.execute(
                        sa.select(sa.func.count()).select_from(table).where(condition)
                    ).scalar_one()
                )
                if counts[name]:
                    connection.execute(table.delete().where(condition))
            if dry_run:
                transaction.rollback()
    except sa.exc.OperationalError as exc:
        raise StoreUnavailable(f"retention on the history store failed: {exc.orig}") from None
    return counts
