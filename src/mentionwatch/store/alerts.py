"""The alert lifecycle in the ``alerts`` table: held, grouped, pending, published.

An alert is recorded before it is published and marked after, so a re-run
never publishes it twice:

* ``held``: the first alert of a burst, waiting for its burst window
  (``record_held``); alerts folded into it are ``grouped`` under it
  (``record_grouped``), and its body always carries the count so far;
* ``pending``: about to be published (``record_alerts``); a failed attempt
  leaves it pending with its error (``mark_failed``);
* ``published``: Pub/Sub took it (``mark_published``, with the message id);
* ``local``: decided where there is no Pub/Sub to publish to.

``pending_alerts`` finds what a dead monitor left behind, after the grace
periods below, for ``mentionwatch pubsub republish``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch import timeutil
from mentionwatch.records import Alert
from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase
from mentionwatch.timeutil import parse_time

_log = logging.getLogger(__name__)

# How long after its release time a held alert is left to the monitor's timer
# before a republish treats it as orphaned.
HELD_GRACE_S = 60.0
# How long a pending alert with no failed attempt is left to the monitor that
# recorded it (its publisher retries for up to 60 s and waits 30 s more for
# the acknowledgement) before a republish treats it as orphaned. Without it,
# a republish running beside a live monitor could send an alert twice.
PENDING_GRACE_S = 120.0


def _alert_row(alert: Alert, status: str, **extra: Any) -> dict[str, Any]:
    """The ``alerts`` row for ``alert`` in ``status`` (``extra``: its burst columns)."""
    return {
        "alert_id": alert.alert_id,
        "mention_id": alert.mention_id,
        "item_id": alert.item_id,
        "subject": alert.subject,
        "label": alert.label,
        "harassment_type": alert.harassment_type,
        "severity": alert.severity,
        "body": alert.to_json(),
        "status": status,
        "kind": alert.kind,
        "count": alert.count,
        "attempts": 0,
        "created_at": parse_time(alert.created_at) or timeutil.now(),
        "group_key": extra.get("group_key"),
        "leader_id": extra.get("leader_id"),
        "release_at": extra.get("release_at"),
    }


class AlertStore(StoreBase):
    """Records each alert's way from decision to publication, and finds orphaned ones."""

    def record_alerts(self, alerts: Sequence[Alert], status: str = "pending") -> list[str]:
        """Records alerts before publishing; returns the ids still to publish.

        An alert already published (or folded into another) keeps its status,
        so a re-run never publishes it a second time. An alert that was
        ``held`` for its burst window becomes ``pending`` with its final body
        and count (and a decision recorded ``pending`` by the streaming policy
        becomes ``local`` when there is no Pub/Sub to publish to).
        """
        if not alerts:
            return []
        table = schema.alerts
        self.upsert(table, [_alert_row(a, status) for a in alerts], ["alert_id"])
        ids = [a.alert_id for a in alerts]
        with self.engine.begin() as connection:
            for alert in alerts:
                connection.execute(
                    table.update()
                    .where(
                        table.c.alert_id == alert.alert_id, table.c.status.in_(("held", "pending"))
                    )
                    # The caller is about to publish it: release_at starts pending_alerts' grace
                    # clock, and a failure from an earlier attempt no longer stands.
                    .values(
                        status=status,
                        body=alert.to_json(),
                        count=alert.count,
                        release_at=timeutil.now(),
                        last_error=None,
                    )
                )
            settled = set(
                connection.execute(
                    sa.select(table.c.alert_id).where(
                        table.c.alert_id.in_(ids), table.c.status.in_(("published", "grouped"))
                    )
                ).scalars()
            )
        return [i for i in ids if i not in settled]

    def record_held(self, alert: Alert, group_key: str, release_at: dt.datetime) -> None:
        """Records an alert held for its burst window (released after ``release_at``)."""
        row = _alert_row(alert, "held", group_key=group_key, release_at=release_at)
        self.upsert(schema.alerts, [row], ["alert_id"])

    def record_grouped(self, alert: Alert, burst: Alert) -> None:
        """Records an alert folded into a held burst, and the burst as it now stands.

        The held row's body always carries the current count, so whoever
        releases it (the monitor's timer, or a republish after the monitor
        died) sends the whole burst.
        """
        self.upsert(
            schema.alerts,
            [_alert_row(alert, "grouped", leader_id=burst.alert_id)],
            ["alert_id"],
        )
        table = schema.alerts
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.alert_id == burst.alert_id, table.c.status == "held")
                .values(body=burst.to_json(), count=burst.count, kind=burst.kind)
            )

    def mark_published(self, message_ids: Mapping[str, str]) -> None:
        """Marks alerts published, with the Pub/Sub message id of each.

        An alert already published keeps its first mark (message id, time,
        attempts): a second publication of the same alert (a retried bundle,
        two workers) is a copy subscribers fold by ``alert_id``, not a new one.
        """
        if not message_ids:
            return
        now = timeutil.now()
        table = schema.alerts
        with self.transaction() as connection:  # unreachable: StoreUnavailable (callers retry)
            for alert_id, message_id in message_ids.items():
                connection.execute(
                    table.update()
                    .where(table.c.alert_id == alert_id, table.c.status != "published")
                    .values(
                        status="published",
                        message_id=message_id,
                        published_at=now,
                        attempts=table.c.attempts + 1,
                    )
                )

    def mark_failed(self, errors: Mapping[str, str]) -> None:
        """Records a failed publication attempt; the alert stays ``pending``."""
        table = schema.alerts
        with self.engine.begin() as connection:
            for alert_id, error in errors.items():
                connection.execute(
                    table.update()
                    .where(table.c.alert_id == alert_id, table.c.status == "pending")
                    .values(attempts=table.c.attempts + 1, last_error=error[:2000])
                )

    def pending_alerts(
        self,
        now: dt.datetime | None = None,
        held_grace_s: float = HELD_GRACE_S,
        pending_grace_s: float = PENDING_GRACE_S,
    ) -> list[Alert]:
        """Alerts to (re)publish: pending ones the monitor gave up on, and overdue held ones.

        A pending alert is republished once a publish attempt has failed, or
        ``pending_grace_s`` after it became pending (the monitor that recorded
        it died before it could publish); before that, the monitor that
        recorded it is still sending it. A held burst whose monitor died
        before releasing it goes out with the count it had reached, once
        ``held_grace_s`` have passed after its release time (before that, the
        running monitor's own timer releases it).
        """
        now = now or timeutil.now()
        held_due = now - dt.timedelta(seconds=held_grace_s)
        pending_due = now - dt.timedelta(seconds=pending_grace_s)
        table = schema.alerts
        orphaned = sa.or_(
            table.c.last_error.is_not(None),
            sa.func.coalesce(table.c.release_at, table.c.created_at) <= pending_due,
        )
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.alert_id, table.c.body)
                .where(
                    sa.or_(
                        sa.and_(table.c.status == "pending", orphaned),
                        sa.and_(table.c.status == "held", table.c.release_at <= held_due),
                    )
                )
                .order_by(table.c.created_at)
            ).all()
        alerts = []
        for alert_id, body in rows:  # one unreadable row must not hold back every other alert
            try:
                alerts.append(Alert.from_json(body))
            except (KeyError, TypeError, ValueError) as exc:
                _log.warning(
                    "alert %s has an unreadable stored body (%s); kept in the store, "
                    "not republished",
                    alert_id,
                    type(exc).__name__,
                )
        return alerts
