"""The notify side of the history store: deliveries, the digest queue, dead letters.

Tables (``mentionwatch.store.schema``):

* ``notify_deliveries``, keyed (ref, recipient, channel), where ref is an
  alert id (immediate) or a digest id. A row with status ``sent`` or ``dead``
  means that channel is settled for that notification: a redelivered Pub/Sub
  message finds it and sends nothing.
* ``notify_digest_queue``, keyed (alert_id, recipient): ``queued`` until its
  digest is claimed (``batched``, with the digest id), then ``sent``. Rows are
  kept after sending, so a redelivered alert is never queued a second time.
  A digest that was claimed but not finished (the process died) is resumed on
  the next start with the same digest id, so channels it already reached are
  skipped.
* ``notify_dead_letters``: one row per (ref, recipient, channel) that could
  not be delivered, with the alert bodies needed to redeliver it.
* ``notify_received``: one row per alert taken in (from Pub/Sub, or from the
  ``alerts`` table when Pub/Sub did not bring it in time), and when the
  operator was told it was overdue; ``notify.delivery`` reads it.

All times are stored in UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch.ids import sha256_hex
from mentionwatch.notify import delivery
from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.store import schema
from mentionwatch.store.db import HistoryStore
from mentionwatch.timeutil import parse_time

UTC = dt.UTC


def digest_id(recipient: str, alert_ids: Sequence[str]) -> str:
    """A digest's id: content-derived from who receives it and what it contains."""
    return (
        "dg_"
        + sha256_hex("\0".join(["digest", recipient, *sorted(alert_ids)]).encode("utf-8"))[:24]
    )


class NotifyStore(HistoryStore):
    """The history store with the reads and writes ``notify`` needs."""

    # ------------------------------------------------------------------ received, reconciled

    def mark_received(self, alert_id: str, *, via: str, outcome: str, now: dt.datetime) -> None:
        """Records that the delivery side took ``alert_id`` in (the first time counts)."""
        table = schema.notify_received
        row = {
            "alert_id": alert_id,
            "via": via,
            "outcome": outcome,
            "received_at": parse_time(now),
            "noticed_at": None,
        }
        with self.transaction() as connection:
            # A row written by an overdue notice only says the operator was told.
            connection.execute(
                table.update()
                .where(table.c.alert_id == alert_id, table.c.via == delivery.NOT_RECEIVED)
                .values(via=via, outcome=outcome, received_at=parse_time(now))
            )
            connection.execute(self.upsert_statement(table, ["alert_id"]), [row])

    def unreceived(
        self, *, published_before: dt.datetime, published_since: dt.datetime
    ) -> list[tuple[str, dict[str, Any]]]:
        """Published alerts not taken in yet: (alert id, stored body), oldest first."""
        with self.transaction() as connection:
            return delivery.unreceived(
                connection,
                published_before=parse_time(published_before),
                published_since=parse_time(published_since),
            )

    def overdue(
        self, *, published_before: dt.datetime, published_since: dt.datetime
    ) -> list[delivery.AlertDelivery]:
        """Published alerts nobody has been told about in time, not yet reported to the operator."""
        with self.transaction() as connection:
            return delivery.overdue(
                connection,
                published_before=parse_time(published_before),
                published_since=parse_time(published_since),
            )

    def mark_noticed(self, alert_ids: Sequence[str], now: dt.datetime) -> None:
        """The operator was told these alerts were overdue: once is enough."""
        table = schema.notify_received
        rows = [
            {
                "alert_id": a,
                "via": delivery.NOT_RECEIVED,
                "outcome": "routed",
                "received_at": parse_time(now),
                "noticed_at": parse_time(now),
            }
            for a in alert_ids
        ]
        self.upsert(table, rows, ["alert_id"])  # alerts never taken in get a row that says so
        with self.transaction() as connection:
            connection.execute(
                table.update()
                .where(table.c.alert_id.in_(list(alert_ids)))
                .values(noticed_at=parse_time(now))
            )

    # ------------------------------------------------------------------ deliveries

    def delivery_status(self, ref: str, recipient: str, channel: str) -> str | None:
        """``sent`` or ``dead`` once the channel is settled for ``ref``; None before."""
        table = schema.notify_deliveries
        with self.transaction() as connection:
            return connection.execute(
                sa.select(table.c.status).where(
                    table.c.ref == ref, table.c.recipient == recipient, table.c.channel == channel
                )
            ).scalar_one_or_none()

    def record_delivery(
        self,
        *,
        ref: str,
        recipient: str,
        channel: str,
        kind: str,
        status: str,
        attempts: int,
        detail: str = "",
        error: str | None = None,
        now: dt.datetime,
    ) -> None:
        """Records (or updates) how one channel's delivery of ``ref`` went."""
        row = {
            "ref": ref,
            "recipient": recipient,
            "channel": channel,
            "kind": kind,
            "status": status,
            "attempts": attempts,
            "detail": detail[:2000],
            "last_error": error[:2000] if error else None,
            "updated_at": parse_time(now),
        }
        self.upsert(
            schema.notify_deliveries,
            [row],
            ["ref", "recipient", "channel"],
            ["status", "attempts", "detail", "last_error", "updated_at"],
        )

    def deliveries(self, **where: Any) -> list[dict[str, Any]]:
        """The ``notify_deliveries`` rows whose columns equal ``where``, oldest update first."""
        table = schema.notify_deliveries
        statement = sa.select(table).order_by(table.c.updated_at)
        for column, value in where.items():
            statement = statement.where(table.c[column] == value)
        with self.transaction() as connection:
            return [dict(row) for row in connection.execute(statement).mappings()]

    # ------------------------------------------------------------------ digest queue

    def enqueue(
        self,
        alert: IncomingAlert,
        recipient: str,
        *,
        reason: str,
        due_at: dt.datetime,
        now: dt.datetime,
    ) -> None:
        """Queues ``alert`` for ``recipient``'s digest; queueing the same pair again is a no-op."""
        row = {
            "alert_id": alert.alert_id,
            "recipient": recipient,
            "subject": alert.subject,
            "label": alert.label,
            "severity": alert.severity,
            "body": dict(alert.body),
            "reason": reason,
            "queued_at": parse_time(now),
            "due_at": parse_time(due_at),
            "status": "queued",
            "digest_id": None,
            "sent_at": None,
        }
        self.upsert(schema.notify_digest_queue, [row], ["alert_id", "recipient"])

    def due_recipients(self, now: dt.datetime | None) -> list[str]:
        """Recipients with a queued entry due by ``now`` (every recipient with one, if None)."""
        table = schema.notify_digest_queue
        statement = (
            sa.select(table.c.recipient)
            .where(table.c.status == "queued")
            .distinct()
            .order_by(table.c.recipient)
        )
        if now is not None:
            statement = statement.where(table.c.due_at <= parse_time(now))
        with self.transaction() as connection:
            return list(connection.execute(statement).scalars())

    def claim_digest(self, recipient: str) -> tuple[str, list[dict[str, Any]]] | None:
        """Moves everything queued for ``recipient`` into one digest; returns (digest id, rows)."""
        table = schema.notify_digest_queue
        with self.transaction() as connection:
            rows = [
                dict(r)
                for r in connection.execute(
                    sa.select(table)
                    .where(table.c.recipient == recipient, table.c.status == "queued")
                    .order_by(table.c.queued_at)
                ).mappings()
            ]
            if not rows:
                return None
            ids = [r["alert_id"] for r in rows]
            digest = digest_id(recipient, ids)
            connection.execute(
                table.update()
                .where(
                    table.c.recipient == recipient,
                    table.c.alert_id.in_(ids),
                    table.c.status == "queued",
                )
                .values(status="batched", digest_id=digest)
            )
        for row in rows:
            row.update(status="batched", digest_id=digest)
        return digest, rows

    def unfinished_digests(self) -> dict[str, list[dict[str, Any]]]:
        """Digests claimed but not finished (the process stopped mid-way), by digest id."""
        table = schema.notify_digest_queue
        found: dict[str, list[dict[str, Any]]] = {}
        with self.transaction() as connection:
            for row in connection.execute(
                sa.select(table).where(table.c.status == "batched").order_by(table.c.queued_at)
            ).mappings():
                found.setdefault(row["digest_id"], []).append(dict(row))
        return found

    def finish_digest(self, digest: str, now: dt.datetime) -> None:
        """Marks every entry of ``digest`` sent at ``now``."""
        table = schema.notify_digest_queue
        with self.transaction() as connection:
            connection.execute(
                table.update()
                .where(table.c.digest_id == digest)
                .values(status="sent", sent_at=parse_time(now))
            )

    def queue(self, **where: Any) -> list[dict[str, Any]]:
        """The ``notify_digest_queue`` rows whose columns equal ``where``, oldest first."""
        table = schema.notify_digest_queue
        statement = sa.select(table).order_by(table.c.queued_at, table.c.alert_id)
        for column, value in where.items():
            statement = statement.where(table.c[column] == value)
        with self.transaction() as connection:
            return [dict(row) for row in connection.execute(statement).mappings()]

    def last_digest_at(self, recipient: str) -> dt.datetime | None:
        """When ``recipient``'s last digest was sent; None if none was."""
        table = schema.notify_digest_queue
        with self.transaction() as connection:
            value = connection.execute(
                sa.select(sa.func.max(table.c.sent_at)).where(table.c.recipient == recipient)
            ).scalar_one_or_none()
        return parse_time(value)

    # ------------------------------------------------------------------ dead letters

    def write_dead_letter(
        self,
        *,
        ref: str,
        recipient: str,
        channel: str,
        kind: str,
        error: str,
        attempts: int,
        payload: Mapping[str, Any],
        now: dt.datetime,
    ) -> int:
        """Keeps what could not be delivered; returns the dead letter's id."""
        row = {
            "ref": ref,
            "recipient": recipient,
            "channel": channel,
            "kind": kind,
            "error": error[:2000],
            "attempts": attempts,
            "payload": dict(payload),
            "time": parse_time(now),
            "resolved_at": None,
        }
        self.upsert(
            schema.notify_dead_letters,
            [row],
            ["ref", "recipient", "channel"],
            ["error", "attempts", "payload", "time", "resolved_at"],
        )
        table = schema.notify_dead_letters
        with self.transaction() as connection:
            return int(
                connection.execute(
                    sa.select(table.c.id).where(
                        table.c.ref == ref,
                        table.c.recipient == recipient,
                        table.c.channel == channel,
                    )
                ).scalar_one()
            )

    def dead_letters(self, *, unresolved_only: bool = True) -> list[dict[str, Any]]:
        """The notification dead letters (only open ones by default), oldest first."""
        table = schema.notify_dead_letters
        statement = sa.select(table).order_by(table.c.id)
        if unresolved_only:
            statement = statement.where(table.c.resolved_at.is_(None))
        with self.transaction() as connection:
            return [dict(row) for row in connection.execute(statement).mappings()]

    def resolve_dead_letter(self, letter_id: int, now: dt.datetime) -> None:
        """Marks a dead letter delivered at last (it stays, resolved, for the record)."""
        table = schema.notify_dead_letters
        with self.transaction() as connection:
            connection.execute(
                table.update().where(table.c.id == letter_id).values(resolved_at=parse_time(now))
            )

    def note_dead_letter_attempt(
        self, letter_id: int, error: str, attempts: int, now: dt.datetime
    ) -> None:
        """Records a failed redelivery: the new error, and ``attempts`` more attempts."""
        table = schema.notify_dead_letters
        with self.transaction() as connection:
            connection.execute(
                table.update()
                .where(table.c.id == letter_id)
                .values(
                    error=error[:2000], attempts=table.c.attempts + attempts, time=parse_time(now)
                )
            )
