"""Marks people put on alerts (``alert_feedback``): confirmed, not about me, and so on.

Marks are appended, never overwritten: the latest mark on an alert is the one
that holds, and the earlier ones stay as the record of who decided what.
``mentionwatch train --with-feedback`` and the threshold calibration read
them; they never leave the deployment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase

# What a person can say about an alert, in the order the inbox offers them.
FEEDBACK_MARKS = ("confirmed", "not_about_me", "not_harassment", "wrong_type")


class FeedbackError(ValueError):
    """A mark that cannot be stored: an unknown mark or alert, or a wrong type without its type."""


class FeedbackStore(StoreBase):
    """Stores marks on alerts and reads them back with the alerts they are about."""

    def record_feedback(
        self,
        alert_id: str,
        mark: str,
        by: str,
        at: dt.datetime,
        *,
        corrected_type: str | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Appends ``by``'s mark on the alert ``alert_id`` and returns the stored row.

        Raises:
          FeedbackError: the mark is not one of ``FEEDBACK_MARKS``, the alert
            does not exist, or ``wrong_type`` comes without ``corrected_type``
            (or another mark with one).
        """
        if mark not in FEEDBACK_MARKS:
            raise FeedbackError(
                f"unknown mark {mark!r}: expected one of {', '.join(FEEDBACK_MARKS)}"
            )
        if (mark == "wrong_type") != bool(corrected_type):
            raise FeedbackError("a wrong_type mark, and only that mark, names the corrected type")
        alerts = schema.alerts
        table = schema.alert_feedback
        with self.transaction() as connection:
            subject = connection.execute(
                sa.select(alerts.c.subject).where(alerts.c.alert_id == alert_id)
            ).scalar_one_or_none()
            if subject is None:
                raise FeedbackError(f"no alert {alert_id!r} in the store")
            row = {
                "alert_id": alert_id,
                "subject": subject,
                "mark": mark,
                "corrected_type": corrected_type,
                "note": note,
                "by_user": by,
                "at": at,
            }
            inserted = connection.execute(sa.insert(table).values(**row))
            row["id"] = inserted.inserted_primary_key[0]
        return row

    def latest_feedback(self, alert_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The mark that holds on each of ``alert_ids`` (the latest), by alert id."""
        ids = list(dict.fromkeys(alert_ids))
        if not ids:
            return {}
        table = schema.alert_feedback
        latest: dict[str, dict[str, Any]] = {}
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 500):
                statement = (
                    sa.select(table)
                    .where(table.c.alert_id.in_(ids[start : start + 500]))
                    .order_by(table.c.at, table.c.id)
                )
                for row in connection.execute(statement).mappings():
                    latest[row["alert_id"]] = dict(row)
        return latest

    def feedback(
        self, subject: str | None = None, *, latest_only: bool = True
    ) -> list[dict[str, Any]]:
        """Marks with the alert each is about (label, type, severity, mention and item ids).

        Args:
          subject: only this subject's alerts; None for all.
          latest_only: only the mark that holds on each alert (else every mark).

        Returns:
          Rows oldest first, each the mark's columns plus ``label``,
          ``harassment_type``, ``severity``, ``mention_id``, ``item_id`` and
          ``alert_created_at`` of its alert.
        """
        table = schema.alert_feedback
        alerts = schema.alerts
        statement = (
            sa.select(
                table,
                alerts.c.label,
                alerts.c.harassment_type,
                alerts.c.severity,
                alerts.c.mention_id,
                alerts.c.item_id,
                alerts.c.created_at.label("alert_created_at"),
            )
            .join(alerts, alerts.c.alert_id == table.c.alert_id)
            .order_by(table.c.at, table.c.id)
        )
        if subject is not None:
            statement = statement.where(table.c.subject == subject)
        with self.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(statement).mappings()]
        if not latest_only:
            return rows
        latest = {row["alert_id"]: row for row in rows}
        return sorted(latest.values(), key=lambda row: (row["at"], row["id"]))
