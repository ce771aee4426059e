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

    def record_alerts(self, alerts: Sequence[Alert], status: str = "pending") -> list[str]:
        """Records alerts before publishing; returns ids not already published.

        An alert already in the store keeps its status, so a re-run never
        publishes a second time an alert that was published before.
        """
        rows = [
            {
                "alert_id": a.alert_id,
                "mention_id": a.mention_id,
                "item_id": a.item_id,
                "subject": a.subject,
                "label": a.label,
                "harassment_type": a.harassment_type,
                "severity": a.severity,
                "body": a.to_json(),
                "status": status,
                "attempts": 0,
                "created_at": parse_time(a.created_at) or _now(),
            }
            for a in alerts
        ]
        self._upsert(schema.alerts, rows, ["alert_id"])
        ids = [a.alert_id for a in alerts]
        with self.engine.connect() as connection:
            done = connection.execute(
                sa.select(schema.alerts.c.alert_id).where(
                    schema.alerts.c.alert_id.in_(ids), schema.alerts.c.status == "published"
                )
            ).scalars()
            published = set(done)
        return [i for i in ids if i not in published]

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

    def pending_alerts(self) -> list[Alert]:
        with self.engine.connect() as connection:
            bodies = connection.execute(
                sa.select(schema.alerts.c.body).where(schema.alerts.c.status == "pending").order_by(schema.alerts.c.created_at)
            ).scalars()
            return [Alert.from_json(body) for body in bodies]

    def count(self, table: str, **where: Any) -> int:
        t = schema.metadata.tables[table]
        statement = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            statement = statement.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
