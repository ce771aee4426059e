"""The history store: typed writes and reads over SQLAlchemy Core.

``HistoryStore(url)`` opens SQLite (WAL journal, a busy timeout so several
worker processes can write) or PostgreSQL. Writes are batched upserts keyed on
content-derived ids, so replays and retries are harmless.

Errors are sorted the way sinks must sort them: ``StoreUnavailable`` (cannot
connect, database locked past the timeout) is transient and raised so the
runner retries; anything wrong with a row itself is the caller's to
dead-letter.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mentionwatch.records import Alert, ClassifiedMention, DeadLetter, Item
from mentionwatch.store import schema

_log = logging.getLogger(__name__)


class StoreUnavailable(RuntimeError):
    """The store cannot be reached right now; retrying later may succeed."""


def parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """ISO-8601 (``Z`` or offset) → aware UTC datetime; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    else:
        moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def make_engine(url: str) -> sa.Engine:
    """An engine with the settings mentionwatch relies on for each backend."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


class HistoryStore:
    """Reads and writes the mention history."""

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        self.engine = make_engine(url)
        if create:
            self.create_schema()

    def create_schema(self) -> None:
        try:
            schema.metadata.create_all(self.engine)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"cannot open the history store {self._safe_url()}: {exc.orig}") from None

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes

    def _upsert(self, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str], update: Sequence[str] = ()):
        if not rows:
            return
        dialect = self.engine.dialect.name
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[dialect]
        statement = insert(table)
        if update:
            statement = statement.on_conflict_do_update(
                index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(keys))
        try:
            with self.engine.begin() as connection:
                connection.execute(statement, list(rows))
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"history store {self._safe_url()} unavailable: {exc.orig}") from None

    def write_items(self, items: Iterable[Item]) -> None:
        now = _now()
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
        self._upsert(schema.items, list(rows.values()), ["id"])

    def write_mentions(self, classified: Sequence[ClassifiedMention]) -> None:
        """Stores mentions (and their items); same mention + model version upserts."""
        self.write_items(c.mention.item for c in classified)
        now = _now()
        rows = {}
        for entry in classified:
            mention, result = entry.mention, entry.classification
            top = result.scores.get(result.label, 0.0)
            rows[(mention.id, result.model_id, result.model_version)] = {
                "mention_id": mention.id,
                "item_id": mention.item.id,
                "subject": mention.subject,
                "label": result.label,
                "harassment_type": result.harassment_type,
                "score": float(top),
                "scores": {k: round(float(v), 5) for k, v in result.scores.items()},
                "spans": [s.to_json() for s in mention.spans],
                "signals": list(result.signals),
                "model_id": result.model_id,
                "model_version": result.model_version,
                "thresholds": dict(result.thresholds),
                "source": mention.item.source,
                "published_at": parse_time(mention.item.published_at),
                "classified_at": now,
            }
        update = ["label", "harassment_type", "score", "scores", "spans", "signals", "thresholds", "classified_at"]
        self._upsert(schema.mentions, list(rows.values()), ["mention_id", "model_id", "model_version"], update)

    @staticmethod
    def _alert_row(alert: Alert, status: str, **extra: Any) -> dict[str, Any]:
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
            "created_at": parse_time(alert.created_at) or _now(),
            "group_key": extra.get("group_key"),
            "leader_id": extra.get("leader_id"),
            "release_at": extra.get("release_at"),
        }

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
        self._upsert(table, [self._alert_row(a, status) for a in alerts], ["alert_id"])
        ids = [a.alert_id for a in alerts]
        with self.engine.begin() as connection:
            for alert in alerts:
                connection.execute(
                    table.update()
                    .where(table.c.alert_id == alert.alert_id, table.c.status.in_(("held", "pending")))
                    .values(status=status, body=alert.to_json(), count=alert.count, release_at=None)
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
        row = self._alert_row(alert, "held", group_key=group_key, release_at=release_at)
        self._upsert(schema.alerts, [row], ["alert_id"])

    def record_grouped(self, alert: Alert, leader_id: str) -> None:
        """Records an alert folded into the burst alert ``leader_id`` (never published itself)."""
        self._upsert(schema.alerts, [self._alert_row(alert, "grouped", leader_id=leader_id)], ["alert_id"])

    def mark_decided(self, mention_ids: Sequence[str]) -> None:
        """Marks mentions whose alert decision is durable (held, pending or none)."""
        if not mention_ids:
            return
        table = schema.mentions
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.mention_id.in_(list(mention_ids)), table.c.decided_at.is_(None))
                .values(decided_at=_now())
            )

    def mark_published(self, message_ids: Mapping[str, str]) -> None:
        """Marks alerts published, with the Pub/Sub message id of each."""
        if not message_ids:
            return
        now = _now()
        table = schema.alerts
        with self.engine.begin() as connection:
            for alert_id, message_id in message_ids.items():
                connection.execute(
                    table.update()
                    .where(table.c.alert_id == alert_id)
                    .values(status="published", message_id=message_id, published_at=now, attempts=table.c.attempts + 1)
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

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        rows = [
            {"stage": d.stage, "ref": d.ref, "error": d.error, "time": parse_time(d.time) or _now(), "payload": d.payload}
            for d in letters
        ]
        try:
            with self.engine.begin() as connection:
                connection.execute(schema.dead_letters.insert(), rows)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(f"history store {self._safe_url()} unavailable: {exc.orig}") from None

    # ------------------------------------------------------------------ reads

    def pending_alerts(self, now: dt.datetime | None = None) -> list[Alert]:
        """Alerts to (re)publish: pending ones, and held ones past their release time.

        A held burst alert whose monitor died before its window closed is
        released with the count it had reached.
        """
        now = now or _now()
        table = schema.alerts
        with self.engine.connect() as connection:
            bodies = connection.execute(
                sa.select(table.c.body)
                .where(sa.or_(table.c.status == "pending", sa.and_(table.c.status == "held", table.c.release_at <= now)))
                .order_by(table.c.created_at)
            ).scalars()
            return [Alert.from_json(body) for body in bodies]

    def harassment_times(self, subject: str, *, since: dt.datetime, until: dt.datetime) -> list[float]:
        """When harassment mentions of ``subject`` were classified (epoch seconds), for baselines."""
        table = schema.mentions
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.classified_at).where(
                    table.c.subject == subject,
                    table.c.label == "harassment",
                    table.c.classified_at >= since,
                    table.c.classified_at < until,
                )
            ).scalars()
            return [parse_time(moment).timestamp() for moment in rows]

    # ------------------------------------------------------------------ feeds and source health

    def feed_states(self, urls: Iterable[str]) -> dict[str, dict[str, Any]]:
        urls = list(urls)
        if not urls:
            return {}
        table = schema.feed_state
        with self.engine.connect() as connection:
            rows = connection.execute(sa.select(table).where(table.c.feed_url.in_(urls))).mappings()
            return {row["feed_url"]: dict(row) for row in rows}

    def all_feed_states(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(sa.select(schema.feed_state).order_by(schema.feed_state.c.name)).mappings()]

    def _ensure_feed(self, connection: sa.Connection, url: str, name: str) -> None:
        table = schema.feed_state
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[self.engine.dialect.name]
        connection.execute(
            insert(table).values(feed_url=url, name=name, consecutive_failures=0, items_total=0).on_conflict_do_nothing(
                index_elements=["feed_url"]
            )
        )

    def record_feed_success(
        self, url: str, name: str, *, status: int, etag: str | None = None,
        last_modified: str | None = None, new_items: int = 0, not_modified: bool = False,
    ) -> None:
        """A poll that worked: 200 with its validators, or 304 (validators kept)."""
        table = schema.feed_state
        now = _now()
        values: dict[str, Any] = {
            "last_status": status, "last_fetch_at": now, "last_success_at": now,
            "consecutive_failures": 0, "last_error": None, "next_fetch_at": None,
        }
        if not not_modified:
            values.update(etag=etag, last_modified=last_modified)
        if new_items:
            values.update(items_total=table.c.items_total + new_items, last_item_at=now)
        with self.engine.begin() as connection:
            self._ensure_feed(connection, url, name)
            connection.execute(table.update().where(table.c.feed_url == url).values(**values))

    def record_feed_failure(
        self, url: str, name: str, *, error: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        """A poll that failed; ``retry_after`` (seconds) defers the next one."""
        table = schema.feed_state
        now = _now()
        values: dict[str, Any] = {
            "last_status": status, "last_fetch_at": now, "last_failure_at": now,
            "consecutive_failures": table.c.consecutive_failures + 1, "last_error": error[:2000],
            "next_fetch_at": now + dt.timedelta(seconds=retry_after) if retry_after else None,
        }
        with self.engine.begin() as connection:
            self._ensure_feed(connection, url, name)
            connection.execute(table.update().where(table.c.feed_url == url).values(**values))

    # ------------------------------------------------------------------ the item outbox

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
            seen = set(connection.execute(sa.select(table.c.item_id).where(table.c.item_id.in_(list(unique)))).scalars())
        fresh = [item for key, item in unique.items() if key not in seen]
        now = _now()
        rows = [
            {"item_id": i.id, "source": i.source, "payload": i.to_json(), "first_seen_at": now, "attempts": 0}
            for i in fresh
        ]
        self._upsert(table, rows, ["item_id"])
        return fresh

    def mark_items_published(self, item_ids: Sequence[str]) -> None:
        if not item_ids:
            return
        table = schema.item_outbox
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.item_id.in_(list(item_ids)))
                .values(published_at=_now(), attempts=table.c.attempts + 1)
            )

    def items_to_deliver(
        self, *, redeliver_after_s: float, max_attempts: int, first_seen_before: dt.datetime | None = None, limit: int = 10_000
    ) -> tuple[list[Item], list[Item]]:
        """Items to (re)publish, and items that exhausted their attempts.

        Returns ``(due, exhausted)``: never-published items and items published
        more than ``redeliver_after_s`` ago but not confirmed by the monitor,
        first seen before ``first_seen_before`` (items of the current run are
        published by it); ``exhausted`` ones have had ``max_attempts``
        deliveries already.
        """
        table = schema.item_outbox
        cutoff = _now() - dt.timedelta(seconds=redeliver_after_s)
        query = sa.select(table.c.payload, table.c.attempts).where(
            table.c.processed_at.is_(None), sa.or_(table.c.published_at.is_(None), table.c.published_at <= cutoff)
        )
        if first_seen_before is not None:
            query = query.where(table.c.first_seen_at < first_seen_before)
        with self.engine.connect() as connection:
            rows = connection.execute(query.order_by(table.c.first_seen_at).limit(limit)).all()
        due = [Item.from_json(r.payload) for r in rows if r.attempts < max_attempts]
        exhausted = [Item.from_json(r.payload) for r in rows if r.attempts >= max_attempts]
        return due, exhausted

    def give_up_items(self, item_ids: Sequence[str]) -> None:
        """Stops redelivering items (after they were dead-lettered)."""
        if not item_ids:
            return
        table = schema.item_outbox
        with self.engine.begin() as connection:
            connection.execute(table.update().where(table.c.item_id.in_(list(item_ids))).values(processed_at=_now()))

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
                .values(processed_at=_now())
            )

    def processed_item_ids(self, item_ids: Sequence[str]) -> set[str]:
        if not item_ids:
            return set()
        table = schema.item_outbox
        with self.engine.connect() as connection:
            return set(
                connection.execute(
                    sa.select(table.c.item_id).where(table.c.item_id.in_(list(item_ids)), table.c.processed_at.is_not(None))
                ).scalars()
            )

    def purge_seen(self, retention_days: int) -> int:
        """Forgets processed items first seen more than ``retention_days`` ago."""
        table = schema.item_outbox
        cutoff = _now() - dt.timedelta(days=retention_days)
        with self.engine.begin() as connection:
            result = connection.execute(
                table.delete().where(table.c.first_seen_at < cutoff, table.c.processed_at.is_not(None))
            )
            return result.rowcount or 0

    def count(self, table: str, **where: Any) -> int:
        t = schema.metadata.tables[table]
        statement = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            statement = statement.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
