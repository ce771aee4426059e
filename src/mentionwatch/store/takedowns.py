"""Takedown and report requests (``takedown_requests``, ``takedown_events``), and what they cite.

A request is written once when it is drafted (its id comes from its kind and
the alerts it covers, so drafting the same request again rewrites the draft
instead of adding a second one; a request already sent is never
overwritten). Every status change and every re-check of one of its URLs is
an event; the re-check's response itself is kept as evidence in
``fetches`` (``store.evidence.record_fetch``) and the event names its row.
``mentionwatch.takedown`` decides which transitions are allowed and what the
clocks say; this part only reads and writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase

# The column holding the time a request entered each status.
STATUS_TIME = {
    "drafted": "drafted_at",
    "sent": "sent_at",
    "acknowledged": "acknowledged_at",
    "removed": "removed_at",
    "refused": "refused_at",
}
# What a re-draft may replace while the request is still a draft.
_DRAFT_FIELDS = ("alert_ids", "urls", "work", "host", "deadline_hours", "deadline_rule", "document")


class TakedownStore(StoreBase):
    """Stores takedown requests with their status clocks and events; reads the alerts they cite."""

    def save_takedown(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """Stores a drafted request and returns the stored row.

        A new ``request_id`` is inserted as ``drafted``. An existing one that
        is still ``drafted`` gets the new document (and URLs); one already
        sent keeps everything it had (the returned row says which status it
        is in).
        """
        table = schema.takedown_requests
        with self.transaction() as connection:
            existing = connection.execute(
                sa.select(table.c.status).where(table.c.request_id == row["request_id"])
            ).first()
            if existing is None:
                values = {**row, "status": "drafted", "updated_at": row["drafted_at"]}
                connection.execute(sa.insert(table).values(**values))
                self._event(connection, row["request_id"], row["drafted_at"], "status", "drafted")
            elif existing.status == "drafted":
                update = {name: row[name] for name in _DRAFT_FIELDS}
                connection.execute(
                    sa.update(table)
                    .where(table.c.request_id == row["request_id"])
                    .values(**update, drafted_at=row["drafted_at"], updated_at=row["drafted_at"])
                )
        return self.takedown(row["request_id"]) or {}

    def takedown(self, request_id: str) -> dict[str, Any] | None:
        """The stored request ``request_id``, or None."""
        table = schema.takedown_requests
        with self.engine.connect() as connection:
            row = (
                connection.execute(sa.select(table).where(table.c.request_id == request_id))
                .mappings()
                .first()
            )
        return dict(row) if row is not None else None

    def takedowns(self, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Every request (or those in ``statuses``), oldest draft first."""
        table = schema.takedown_requests
        statement = sa.select(table).order_by(table.c.drafted_at, table.c.request_id)
        if statuses is not None:
            statement = statement.where(table.c.status.in_(list(statuses)))
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]

    def set_takedown_status(
        self, request_id: str, status: str, at: dt.datetime, detail: str = ""
    ) -> None:
        """Moves a request to ``status`` at ``at`` and records the event.

        Sending (again) restarts the clock: ``sent_at`` is set and a notice of
        an earlier overdue clock is cleared.
        """
        table = schema.takedown_requests
        values: dict[str, Any] = {"status": status, STATUS_TIME[status]: at, "updated_at": at}
        if status == "sent":
            values["overdue_noticed_at"] = None
        with self.transaction() as connection:
            connection.execute(
                sa.update(table).where(table.c.request_id == request_id).values(**values)
            )
            self._event(connection, request_id, at, "status", status, detail=detail)

    def record_takedown_check(
        self,
        request_id: str,
        url: str,
        at: dt.datetime,
        outcome: str,
        *,
        http_status: int | None = None,
        fetch_id: str | None = None,
        sha256: str | None = None,
        detail: str = "",
    ) -> None:
        """Records one re-check of one of the request's URLs (and when it was last checked)."""
        table = schema.takedown_requests
        with self.transaction() as connection:
            self._event(
                connection,
                request_id,
                at,
                "check",
                None,
                url=url,
                outcome=outcome,
                http_status=http_status,
                fetch_id=fetch_id,
                sha256=sha256,
                detail=detail,
            )
            connection.execute(
                sa.update(table).where(table.c.request_id == request_id).values(last_checked_at=at)
            )

    def mark_takedown_noticed(self, request_id: str, at: dt.datetime, detail: str) -> None:
        """Records that the helper was told the request is overdue (so it is told once)."""
        table = schema.takedown_requests
        with self.transaction() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.request_id == request_id)
                .values(overdue_noticed_at=at)
            )
            self._event(connection, request_id, at, "notice", None, detail=detail)

    def takedown_events(self, request_id: str) -> list[dict[str, Any]]:
        """The request's events (status changes, re-checks, notices), in order."""
        table = schema.takedown_events
        statement = (
            sa.select(table)
            .where(table.c.request_id == request_id)
            .order_by(table.c.time, table.c.id)
        )
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]

    def _event(
        self,
        connection: sa.Connection,
        request_id: str,
        at: dt.datetime,
        event: str,
        status: str | None,
        **fields: Any,
    ) -> None:
        connection.execute(
            sa.insert(schema.takedown_events).values(
                request_id=request_id, time=at, event=event, status=status, **fields
            )
        )

    # ------------------------------------------------------------ what requests cite

    def alert_rows(self, alert_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The stored alerts with these ids (any order; unknown ids are simply absent)."""
        table = schema.alerts
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.alert_id.in_(list(alert_ids)))
            ).mappings()
            return [dict(r) for r in rows]

    def repromotion_alert_rows(self, subject: str) -> list[dict[str, Any]]:
        """Every stored re-promotion alert about ``subject``, oldest first."""
        table = schema.alerts
        statement = (
            sa.select(table)
            .where(table.c.subject == subject, table.c.label == "re_promotion")
            .order_by(table.c.created_at, table.c.alert_id)
        )
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]

    def cited_items(self, item_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored items with these ids (URL, times, raw body hash), by id."""
        table = schema.items
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table).where(table.c.id.in_(list(item_ids)))
            ).mappings()
            return {r["id"]: dict(r) for r in rows}

    def cited_fetches(self, sha256s: Sequence[str]) -> list[dict[str, Any]]:
        """The fetch records of these raw bodies (where and when each was fetched)."""
        if not sha256s:
            return []
        table = schema.fetches
        statement = (
            sa.select(table)
            .where(table.c.sha256.in_(list(sha256s)))
            .order_by(table.c.first_fetched_at, table.c.url)
        )
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(statement).mappings()]

    def cited_spans(self, mention_ids: Sequence[str]) -> dict[str, list[Any]]:
        """The matched spans of the current classification of each mention, by mention id."""
        table = schema.mentions
        statement = sa.select(table.c.mention_id, table.c.spans).where(
            table.c.mention_id.in_(list(mention_ids)), table.c.is_current.is_(True)
        )
        with self.engine.connect() as connection:
            return {r.mention_id: list(r.spans or []) for r in connection.execute(statement)}
