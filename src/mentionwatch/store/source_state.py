"""Per-source state (``feed_state``, ``source_daily_items``): validators, cursors, health.

One row per source (keyed by its URL) holds what the next poll needs (HTTP
validators, the API cursor, when it may poll again) and what its health is
judged on (consecutive failures, last success, items per day); the health
state the operator was last told about is kept beside it
(``sources.health`` decides it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from mentionwatch import timeutil
from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase
from mentionwatch.timeutil import parse_time


class SourceStateStore(StoreBase):
    """Records each poll's outcome per source, and reads it back for polling and health."""

    def feed_states(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The stored state of each of ``urls`` that has one, by URL."""
        urls = list(urls)
        if not urls:
            return {}
        table = schema.feed_state
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table).where(table.c.feed_url.in_(urls))).mappings()
            return {row["feed_url"]: dict(row) for row in rows}

    def all_feed_states(self) -> list[dict[str, Any]]:
        """Every source's stored state, by name."""
        with self.engine.connect() as connection:
            return [
                dict(r)
                for r in connection.execute(
                    sa.select(schema.feed_state).order_by(schema.feed_state.c.name)
                ).mappings()
            ]

    def _ensure_feed(
        self, connection: sa.Connection, url: str, name: str, kind: str | None = None
    ) -> None:
        connection.execute(
            self.insert(schema.feed_state)
            .values(
                feed_url=url,
                name=name,
                kind=kind,
                consecutive_failures=0,
                items_total=0,
                first_poll_at=timeutil.now(),
            )
            .on_conflict_do_nothing(index_elements=["feed_url"])
        )

    def _count_daily(
        self, connection: sa.Connection, url: str, new_items: int, now: dt.datetime
    ) -> None:
        table = schema.source_daily_items
        statement = self.insert(table).values(
            feed_url=url, day=now.date().isoformat(), items=new_items
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["feed_url", "day"], set_={"items": table.c["items"] + new_items}
            )
        )

    def _record_poll(
        self,
        url: str,
        name: str,
        kind: str | None,
        values: dict[str, Any],
        *,
        new_items: int,
        now: dt.datetime,
    ) -> None:
        """Updates the source's row with ``values`` (made first if new) and counts new items."""
        table = schema.feed_state
        if new_items:
            values.update(items_total=table.c.items_total + new_items, last_item_at=now)
        with self.engine.begin() as connection:
            self._ensure_feed(connection, url, name, kind)
            connection.execute(table.update().where(table.c.feed_url == url).values(**values))
            if new_items:
                self._count_daily(connection, url, new_items, now)

    def record_feed_success(
        self,
        url: str,
        name: str,
        *,
        status: int,
        etag: str | None = None,
        last_modified: str | None = None,
        new_items: int = 0,
        not_modified: bool = False,
        kind: str | None = None,
        cursor: str | None = None,
        defer_s: float | None = None,
        truncated: bool = False,
    ) -> None:
        """A poll that worked: 200 with its validators, or 304 (validators kept).

        ``cursor`` (when given) replaces the stored one; ``defer_s`` holds the
        next poll back (a rate-limit reset); ``truncated`` notes a poll that
        stopped at its page limit short of the cursor.
        """
        now = timeutil.now()
        values: dict[str, Any] = {
            "last_status": status,
            "last_fetch_at": now,
            "last_success_at": now,
            "consecutive_failures": 0,
            "last_error": None,
            "next_fetch_at": now + dt.timedelta(seconds=defer_s) if defer_s else None,
        }
        if not not_modified:
            values.update(etag=etag, last_modified=last_modified)
        if cursor is not None:
            values["cursor"] = cursor
        if kind is not None:
            values["kind"] = kind
        if truncated:
            values["last_truncated_at"] = now
        self._record_poll(url, name, kind, values, new_items=new_items, now=now)

    def record_feed_failure(
        self,
        url: str,
        name: str,
        *,
        error: str,
        status: int | None = None,
        retry_after: float | None = None,
        kind: str | None = None,
        new_items: int = 0,
    ) -> None:
        """A poll that failed; ``retry_after`` (seconds) defers the next one.

        ``new_items`` counts items of pages that did arrive before the failure
        (they are recorded; the cursor is not moved).
        """
        table = schema.feed_state
        now = timeutil.now()
        values: dict[str, Any] = {
            "last_status": status,
            "last_fetch_at": now,
            "last_failure_at": now,
            "consecutive_failures": table.c.consecutive_failures + 1,
            "last_error": error[:2000],
            "next_fetch_at": now + dt.timedelta(seconds=retry_after) if retry_after else None,
        }
        if kind is not None:
            values["kind"] = kind
        self._record_poll(url, name, kind, values, new_items=new_items, now=now)

    def set_source_health(self, url: str, state: str, alerted_at: dt.datetime | None) -> None:
        """Records the health state the operator was last told about (see sources.health)."""
        table = schema.feed_state
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.feed_url == url)
                .values(health_state=state, health_alerted_at=alerted_at)
            )

    def items_per_day(
        self, urls: Iterable[str], *, days: int = 7, now: dt.datetime | None = None
    ) -> dict[str, float]:
        """Mean new items per day over the last ``days`` UTC days (today included) per source.

        A source first polled more recently is averaged over the days since.
        """
        urls = list(urls)
        if not urls:
            return {}
        now = now or timeutil.now()
        first_day = (now - dt.timedelta(days=days - 1)).date()
        daily, states = schema.source_daily_items, schema.feed_state
        with self.engine.connect() as connection:
            totals = dict(
                connection.execute(
                    sa.select(daily.c.feed_url, sa.func.sum(daily.c["items"]))
                    .where(daily.c.feed_url.in_(urls), daily.c.day >= first_day.isoformat())
                    .group_by(daily.c.feed_url)
                ).all()
            )
            firsts = dict(
                connection.execute(
                    sa.select(states.c.feed_url, states.c.first_poll_at).where(
                        states.c.feed_url.in_(urls)
                    )
                ).all()
            )
        result = {}
        for url in urls:
            first = parse_time(firsts.get(url))
            span = days if first is None else min(days, (now.date() - first.date()).days + 1)
            result[url] = float(totals.get(url) or 0) / max(1, span)
        return result
