"""The item outbox (``item_outbox``): ingest's seen-ids check and its delivery record.

An item's timeline: recorded when first seen (``add_new_items``, before
anyone publishes it); ``published_at`` set and ``attempts`` counted at each
publication; redelivered while unconfirmed (``items_to_deliver``) until
``max_attempts``, then given up (``give_up_items``); confirmed
(``processed_at``) once the monitor has decided every mention in it
(``set_mentions_expected``, ``confirm_items``); forgotten after the
retention period (``purge_seen``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from mentionwatch import timeutil
from mentionwatch.records import Item
from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase


class OutboxStore(StoreBase):
    """Records items ingest has seen, and follows each one until the monitor confirms it."""

    def add_new_items(self, items: Sequence[Item]) -> list[Item]:
        """Records items not seen before and returns them (in input order).

        This is the seen-ids check and the outbox in one step: a returned item
        is durably recorded before anyone publishes it.
        """
        unique: dict[str, Item] = {}
        for item in items:
            unique.setdefault(item.id, item)
        if not unique:
            return []
        table = schema.item_outbox
        with self.engine.connect() as connection:
            seen = set(
                connection.execute(
                    sa.select(table.c.item_id).where(table.c.item_id.in_(list(unique)))
                ).scalars()
            )
        fresh = [item for key, item in unique.items() if key not in seen]
        now = timeutil.now()
        rows = [
            {
                "item_id": i.id,
                "source": i.source,
                "payload": i.to_json(),
                "first_seen_at": now,
                "attempts": 0,
            }
            for i in fresh
        ]
        self.upsert(table, rows, ["item_id"])
        return fresh

    def mark_items_published(self, item_ids: Sequence[str], message_key: str | None = None) -> None:
        """Notes a publication of each item (its time, one more attempt).

        ``message_key`` is the message's ``item_id`` attribute; the first one
        an item was published under is kept (a redelivery re-sends under it).
        """
        if not item_ids:
            return
        table = schema.item_outbox
        values = {"published_at": timeutil.now(), "attempts": table.c.attempts + 1}
        if message_key is not None:
            values["message_key"] = sa.func.coalesce(table.c.message_key, message_key)
        with self.engine.begin() as connection:
            connection.execute(
                table.update().where(table.c.item_id.in_(list(item_ids))).values(**values)
            )

    def message_keys(self, item_ids: Sequence[str]) -> dict[str, str]:
        """The ``item_id`` attribute each item was first published under (when it has one)."""
        if not item_ids:
            return {}
        table = schema.item_outbox
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.item_id, table.c.message_key).where(
                    table.c.item_id.in_(list(item_ids)), table.c.message_key.is_not(None)
                )
            ).all()
        return {r.item_id: r.message_key for r in rows}

    def items_to_deliver(
        self,
        *,
        redeliver_after_s: float,
        max_attempts: int,
        first_seen_before: dt.datetime | None = None,
        limit: int = 10_000,
    ) -> tuple[list[Item], list[Item]]:
        """Items to (re)publish, and items that exhausted their attempts.

        Returns ``(due, exhausted)``: never-published items and items published
        more than ``redeliver_after_s`` ago but not confirmed by the monitor,
        first seen before ``first_seen_before`` (items of the current run are
        published by it); ``exhausted`` ones have had ``max_attempts``
        deliveries already.
        """
        table = schema.item_outbox
        cutoff = timeutil.now() - dt.timedelta(seconds=redeliver_after_s)
        query = sa.select(table.c.payload, table.c.attempts).where(
            table.c.processed_at.is_(None),
            table.c.given_up_at.is_(None),
            sa.or_(table.c.published_at.is_(None), table.c.published_at <= cutoff),
        )
        if first_seen_before is not None:
            query = query.where(table.c.first_seen_at < first_seen_before)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.first_seen_at).limit(limit)).all()
        due = [Item.from_json(r.payload) for r in rows if r.attempts < max_attempts]
        exhausted = [Item.from_json(r.payload) for r in rows if r.attempts >= max_attempts]
        return due, exhausted

    def give_up_items(self, item_ids: Sequence[str]) -> None:
        """Stops redelivering items (they are dead-lettered and the operator is told).

        They are not marked processed: a monitor that is only slow still
        processes and confirms them.
        """
        if not item_ids:
            return
        table = schema.item_outbox
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.item_id.in_(list(item_ids)))
                .values(given_up_at=timeutil.now())
            )

    def set_mentions_expected(self, counts: Mapping[str, int]) -> None:
        """The monitor records how many subjects each item mentions, then confirms what it can."""
        if not counts:
            return
        table = schema.item_outbox
        statement = (
            table.update()
            .where(table.c.item_id == sa.bindparam("b_item"), table.c.mentions_expected.is_(None))
            .values(mentions_expected=sa.bindparam("b_count"))
        )
        with self.engine.begin() as connection:
            connection.execute(statement, [{"b_item": k, "b_count": v} for k, v in counts.items()])
        self.confirm_items(list(counts))

    def confirm_items(self, item_ids: Sequence[str]) -> None:
        """Marks items processed once every mention in them has been decided."""
        if not item_ids:
            return
        outbox, mentions = schema.item_outbox, schema.mentions
        decided = (
            sa.select(sa.func.count(sa.distinct(mentions.c.subject)))
            .where(mentions.c.item_id == outbox.c.item_id, mentions.c.decided_at.is_not(None))
            .scalar_subquery()
        )
        with self.engine.begin() as connection:
            connection.execute(
                outbox.update()
                .where(
                    outbox.c.item_id.in_(list(item_ids)),
                    outbox.c.processed_at.is_(None),
                    outbox.c.mentions_expected.is_not(None),
                    outbox.c.mentions_expected <= decided,
                )
                .values(processed_at=timeutil.now())
            )

    def processed_item_ids(self, item_ids: Sequence[str]) -> set[str]:
        """Those of ``item_ids`` the monitor has confirmed (processed)."""
        if not item_ids:
            return set()
        table = schema.item_outbox
        with self.engine.connect() as connection:
            return set(
                connection.execute(
                    sa.select(table.c.item_id).where(
                        table.c.item_id.in_(list(item_ids)), table.c.processed_at.is_not(None)
                    )
                ).scalars()
            )

    def purge_seen(self, retention_days: int) -> int:
        """Forgets processed (or given-up) items first seen more than ``retention_days`` ago.

        Returns how many were forgotten.
        """
        table = schema.item_outbox
        cutoff = timeutil.now() - dt.timedelta(days=retention_days)
        with self.engine.begin() as connection:
            result = connection.execute(
                table.delete().where(
                    table.c.first_seen_at < cutoff,
                    sa.or_(table.c.processed_at.is_not(None), table.c.given_up_at.is_not(None)),
                )
            )
            return result.rowcount or 0
