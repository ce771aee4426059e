"""Where each alert is on its way to a person: the store's answer, for every reader.

An alert's delivery state comes from four tables and nothing else:
``alerts`` (decided, published), ``notify_received`` (the delivery side
took it in), ``notify_deliveries`` (each recipient's channel, sent or dead)
and ``notify_digest_queue`` (waiting for, or sent in, a digest). ``notify``
reconciles against it, and ``alerts status``, ``history``, the report and
the ``watch`` status line show it.

States, in the order an alert passes through them:

============== ==============================================================
``waiting``    decided, not yet accepted by Pub/Sub (pending or held)
``local``      decided by a run without Pub/Sub: nobody is told (``scan`` only)
``published``  accepted by Pub/Sub; ``notify`` has not taken it in yet
``delivering`` taken in; its first deliveries are being tried
``queued``     waiting in a recipient's digest (or for quiet hours to end)
``delivered``  at least one recipient was reached on at least one channel
``failed``     every attempt was dead-lettered (``notify --retry-dead-letters``)
``unrouted``   no recipient in ``notify.recipients`` receives it
============== ==============================================================

``undelivered`` names the states where a person has not been told and
should have been by now: published, delivering and failed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.timeutil import parse_time

UNDELIVERED = ("published", "delivering", "failed")
NOT_RECEIVED = "none"  # notify_received.via of a row that only records an overdue notice
STATES = (
    "waiting",
    "local",
    "published",
    "delivering",
    "queued",
    "delivered",
    "failed",
    "unrouted",
)


@dataclasses.dataclass(frozen=True)
class Delivery:
    """One recipient's channel for one alert (directly, or in a digest)."""

    recipient: str
    channel: str
    status: str  # sent | dead | queued (digest not sent yet)
    at: dt.datetime | None
    via_digest: str | None = None


@dataclasses.dataclass(frozen=True)
class AlertDelivery:
    """An alert and where it is on its way to the people who receive it."""

    alert_id: str
    subject: str
    label: str
    harassment_type: str | None
    severity: str
    created_at: dt.datetime
    published_at: dt.datetime | None
    state: str
    received_via: str | None
    deliveries: tuple[Delivery, ...]

    @property
    def first_sent_at(self) -> dt.datetime | None:
        """When the first message about it was sent to anyone; None before that."""
        times = [d.at for d in self.deliveries if d.status == "sent" and d.at is not None]
        return min(times) if times else None

    def summary(self) -> str:
        """``delivered to dana (email), sam (file)``-style text; no alert text, ever."""
        if not self.deliveries:
            return self.state
        parts = []
        for d in self.deliveries:
            how = f"{d.channel}{', digest' if d.via_digest else ''}"
            parts.append(f"{d.recipient} ({how}: {d.status})")
        return f"{self.state}: " + ", ".join(parts)


def _state(status: str, received: Any, deliveries: Sequence[Delivery]) -> str:
    if status in ("pending", "held"):
        return "waiting"
    if status == "local":
        return "local"
    if received is None or received.via == NOT_RECEIVED:
        return "published"
    if received.outcome == "unrouted":
        return "unrouted"
    if received.outcome == "unreadable":
        return "failed"
    if any(d.status == "sent" for d in deliveries):
        return "delivered"
    if any(d.status == "queued" for d in deliveries):
        return "queued"
    if deliveries and all(d.status == "dead" for d in deliveries):
        return "failed"
    return "delivering"


def alert_deliveries(
    connection: sa.Connection,
    *,
    alert_ids: Iterable[str] | None = None,
    since: dt.datetime | None = None,
    subjects: Sequence[str] | None = None,
    limit: int | None = None,
) -> list[AlertDelivery]:
    """Every matching alert (not folded into a burst) with its delivery state, newest first."""
    alerts = schema.alerts
    statement = (
        sa.select(alerts).where(alerts.c.status != "grouped").order_by(alerts.c.created_at.desc())
    )
    if alert_ids is not None:
        statement = statement.where(alerts.c.alert_id.in_(list(alert_ids)))
    if since is not None:
        statement = statement.where(alerts.c.created_at >= since)
    if subjects:
        statement = statement.where(alerts.c.subject.in_(list(subjects)))
    if limit is not None:
        statement = statement.limit(limit)
    rows = connection.execute(statement).all()
    ids = [r.alert_id for r in rows]
    if not ids:
        return []
    received = {
        r.alert_id: r
        for r in connection.execute(
            sa.select(schema.notify_received).where(schema.notify_received.c.alert_id.in_(ids))
        ).all()
    }
    deliveries: dict[str, list[Delivery]] = {i: [] for i in ids}
    sent = schema.notify_deliveries
    for r in connection.execute(sa.select(sent).where(sent.c.ref.in_(ids))).all():
        deliveries[r.ref].append(
            Delivery(r.recipient, r.channel, r.status, parse_time(r.updated_at))
        )
    queue = schema.notify_digest_queue
    queued = connection.execute(sa.select(queue).where(queue.c.alert_id.in_(ids))).all()
    digests = {r.digest_id for r in queued if r.digest_id}
    by_digest: dict[str, list[Any]] = {}
    if digests:
        for r in connection.execute(sa.select(sent).where(sent.c.ref.in_(list(digests)))).all():
            by_digest.setdefault(r.ref, []).append(r)
    for r in queued:
        reached = by_digest.get(r.digest_id or "", [])
        if r.status == "sent" and reached:
            deliveries[r.alert_id] += [
                Delivery(d.recipient, d.channel, d.status, parse_time(d.updated_at), r.digest_id)
                for d in reached
            ]
        else:
            deliveries[r.alert_id].append(
                Delivery(r.recipient, "digest", "queued", parse_time(r.due_at), r.digest_id)
            )
    out = []
    for r in rows:
        mine = tuple(deliveries[r.alert_id])
        got = received.get(r.alert_id)
        out.append(
            AlertDelivery(
                alert_id=r.alert_id,
                subject=r.subject,
                label=r.label,
                harassment_type=r.harassment_type,
                severity=r.severity,
                created_at=parse_time(r.created_at),
                published_at=parse_time(r.published_at),
                state=_state(r.status, got, mine),
                received_via=got.via if got is not None and got.via != NOT_RECEIVED else None,
                deliveries=mine,
            )
        )
    return out


def state_counts(connection: sa.Connection, *, since: dt.datetime | None = None) -> dict[str, int]:
    """How many alerts are in each state (for status lines and the report)."""
    counts = dict.fromkeys(STATES, 0)
    for alert in alert_deliveries(connection, since=since):
        counts[alert.state] += 1
    return counts


# ---------------------------------------------------------------------- what notify reconciles


def unreceived(
    connection: sa.Connection, *, published_before: dt.datetime, published_since: dt.datetime
) -> list[tuple[str, dict[str, Any]]]:
    """Published alerts the delivery side has not taken in: (alert id, body), oldest first."""
    alerts, received = schema.alerts, schema.notify_received
    rows = connection.execute(
        sa.select(alerts.c.alert_id, alerts.c.body)
        .select_from(alerts.outerjoin(received, received.c.alert_id == alerts.c.alert_id))
        .where(
            alerts.c.status == "published",
            sa.or_(received.c.alert_id.is_(None), received.c.via == NOT_RECEIVED),
            alerts.c.published_at <= published_before,
            alerts.c.published_at >= published_since,
        )
        .order_by(alerts.c.published_at)
    ).all()
    return [(r.alert_id, dict(r.body)) for r in rows]


def overdue(
    connection: sa.Connection, *, published_before: dt.datetime, published_since: dt.datetime
) -> list[AlertDelivery]:
    """Alerts published in the window, ``published_before`` or earlier, that reached nobody.

    Alerts waiting in a digest do not count, nor those the operator has
    already been told about.
    """
    alerts, received = schema.alerts, schema.notify_received
    ids = (
        connection.execute(
            sa.select(alerts.c.alert_id)
            .select_from(alerts.outerjoin(received, received.c.alert_id == alerts.c.alert_id))
            .where(
                alerts.c.status == "published",
                alerts.c.published_at <= published_before,
                alerts.c.published_at >= published_since,
                received.c.noticed_at.is_(None),
            )
        )
        .scalars()
        .all()
    )
    if not ids:
        return []
    return [a for a in alert_deliveries(connection, alert_ids=ids) if a.state in UNDELIVERED]
