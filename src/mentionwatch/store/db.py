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

import contextlib
import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mentionwatch import timeutil
from mentionwatch.alerts.policy import severity
from mentionwatch.records import Alert, ClassifiedMention, DeadLetter, Item
from mentionwatch.store import derive, schema
from mentionwatch.store.engine import StoreUnavailable, make_engine
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


class HistoryStore:
    """Reads and writes the mention history."""

    def __init__(self, url: str, *, create: bool = True, upgrade: bool | None = None):
        """Opens the store at ``url``.

        Args:
          url: an SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
          create: bring the schema to the code's revision on open (see
            ``mentionwatch.store.migrate``); False skips the check entirely.
          upgrade: whether an empty or older store may be upgraded on open;
            None follows ``MENTIONWATCH_STORE_AUTO_UPGRADE`` (default yes).
            When it may not, opening raises ``StoreSchemaError`` naming the
            command to run.
        """
        self.url = url
        self.engine = make_engine(url)
        if create:
            self.create_schema(upgrade=upgrade)

    def create_schema(self, *, upgrade: bool | None = None) -> None:
        """Brings the store to the head schema revision (a no-op when it is there)."""
        from mentionwatch.store.migrate import ensure_current

        ensure_current(self.engine, upgrade_allowed=upgrade)

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction; an unreachable or locked store raises ``StoreUnavailable``."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(
                f"history store {self._safe_url()} unavailable: {exc.orig}"
            ) from None

    def insert(self, table: sa.Table):
        """The dialect's INSERT (SQLite or PostgreSQL), which supports ON CONFLICT."""
        return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[self.engine.dialect.name](
            table
        )

    def upsert_statement(self, table: sa.Table, keys: Sequence[str], update: Sequence[str] = ()):
        """INSERT ... ON CONFLICT (keys) DO UPDATE (the ``update`` columns) or DO NOTHING."""
        statement = self.insert(table)
        if update:
            return statement.on_conflict_do_update(
                index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
            )
        return statement.on_conflict_do_nothing(index_elements=list(keys))

    def _upsert(
        self,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        keys: Sequence[str],
        update: Sequence[str] = (),
    ):
        if not rows:
            return
        with self.transaction() as connection:
            connection.execute(self.upsert_statement(table, keys, update), list(rows))

    @staticmethod
    def _item_rows(items: Iterable[Item], now: dt.datetime) -> list[dict[str, Any]]:
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
        return list(rows.values())

    def write_items(self, items: Iterable[Item]) -> None:
        self._upsert(schema.items, self._item_rows(items, timeutil.now()), ["id"])

    _MENTION_UPDATE = (
        "label",
        "harassment_type",
        "score",
        "scores",
        "spans",
        "signals",
        "thresholds",
        "classified_at",
        "severity",
        "is_current",
    )

    @staticmethod
    def mention_row(
        entry: ClassifiedMention, now: dt.datetime, mention_id: str | None = None
    ) -> dict[str, Any]:
        """The ``mentions`` row for one classified mention (see ``schema.mentions``)."""
        mention, result = entry.mention, entry.classification
        item = mention.item
        scores = result.scores
        top = float(scores.get(result.label, 0.0))
        published = parse_time(item.published_at)
        return {
            "mention_id": mention_id or mention.id,
            "item_id": item.id,
            "subject": mention.subject,
            "label": result.label,
            "harassment_type": result.harassment_type,
            "score": top,
            "scores": {k: round(float(v), 5) for k, v in scores.items()},
            # Span.to_json, without dataclasses.asdict's deep copies (this runs per stored mention).
            "spans": [
                {
                    "field": s.field,
                    "start": s.start,
                    "end": s.end,
                    "matched": s.matched,
                    "variant": s.variant,
                }
                for s in mention.spans
            ],
            "signals": list(result.signals),
            "model_id": result.model_id,
            "model_version": result.model_version,
            "thresholds": dict(result.thresholds),
            "source": item.source,
            "published_at": published,
            "classified_at": now,
            "occurred_at": derive.occurred_at(published, parse_time(item.fetched_at), now),
            "domain": derive.domain_of(item.url)[:255],
            "author": (item.author or "")[:500],
            "severity": severity(
                result.label,
                result.harassment_type,
                top,
                float(result.thresholds.get(result.label, 0.5)),
            ),
            "is_current": True,
        }

    def write_mentions(self, classified: Sequence[ClassifiedMention]) -> None:
        """Stores mentions (and their items) in one transaction.

        The same mention and model version upserts (a replay changes nothing
        but ``classified_at``); a new model version adds a row. The rows
        written become the mention's current classification (``is_current``);
        rows of other model versions of the same mentions stop being current.
        """
        if not classified:
            return
        now = timeutil.now()
        rows = {}
        for entry in classified:
            result = entry.classification
            mention_id = entry.mention.id  # a hash: computed once per mention
            rows[(mention_id, result.model_id, result.model_version)] = self.mention_row(
                entry, now, mention_id
            )
        table = schema.mentions
        with self.transaction() as connection:
            connection.execute(
                self.upsert_statement(schema.items, ["id"]),
                self._item_rows((c.mention.item for c in classified), now),
            )
            connection.execute(
                self.upsert_statement(
                    table, ["mention_id", "model_id", "model_version"], self._MENTION_UPDATE
                ),
                list(rows.values()),
            )
            versions: dict[tuple[str, str], set[str]] = {}
            for mention_id, model_id, model_version in rows:
                versions.setdefault((model_id, model_version), set()).add(mention_id)
            if self.engine.dialect.name == "postgresql":
                # The lookup below is by mention_id (the unique index). Right
                # after a bulk load the planner has no statistics yet and may
                # pick a scan of the whole table for every batch; this
                # transaction never needs one.
                connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            for (model_id, model_version), mention_ids in versions.items():
                ids = sorted(mention_ids)
                for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
                    connection.execute(
                        table.update()
                        .where(
                            table.c.mention_id.in_(ids[start : start + 900]),
                            table.c.is_current == sa.true(),
                            sa.not_(
                                sa.and_(
                                    table.c.model_id == model_id,
                                    table.c.model_version == model_version,
                                )
                            ),
                        )
                        .values(is_current=False)
                    )

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
            "created_at": parse_time(alert.created_at) or timeutil.now(),
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
        row = self._alert_row(alert, "held", group_key=group_key, release_at=release_at)
        self._upsert(schema.alerts, [row], ["alert_id"])

    def record_grouped(self, alert: Alert, burst: Alert) -> None:
        """Records an alert folded into a held burst, and the burst as it now stands.

        The held row's body always carries the current count, so whoever
        releases it (the monitor's timer, or a republish after the monitor
        died) sends the whole burst.
        """
        self._upsert(
            schema.alerts,
            [self._alert_row(alert, "grouped", leader_id=burst.alert_id)],
            ["alert_id"],
        )
        table = schema.alerts
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.alert_id == burst.alert_id, table.c.status == "held")
                .values(body=burst.to_json(), count=burst.count, kind=burst.kind)
            )

    def mark_decided(self, mention_ids: Sequence[str]) -> None:
        """Marks mentions whose alert decision is durable (held, pending or none)."""
        if not mention_ids:
            return
        table = schema.mentions
        with self.engine.begin() as connection:
            connection.execute(
                table.update()
                .where(table.c.mention_id.in_(list(mention_ids)), table.c.decided_at.is_(None))
                .values(decided_at=timeutil.now())
            )

    def mark_published(self, message_ids: Mapping[str, str]) -> None:
        """Marks alerts published, with the Pub/Sub message id of each."""
        if not message_ids:
            return
        now = timeutil.now()
        table = schema.alerts
        with self.engine.begin() as connection:
            for alert_id, message_id in message_ids.items():
                connection.execute(
                    table.update()
                    .where(table.c.alert_id == alert_id)
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

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        rows = [
            {
                "stage": d.stage,
                "ref": d.ref,
                "error": d.error,
                "time": parse_time(d.time) or timeutil.now(),
                "payload": d.payload,
            }
            for d in letters
        ]
        try:
            with self.engine.begin() as connection:
                connection.execute(schema.dead_letters.insert(), rows)
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(
                f"history store {self._safe_url()} unavailable: {exc.orig}"
            ) from None

    # ------------------------------------------------------------------ reads

    def pending_alerts(
        self,
        now: dt.datetime | None = None,
        held_grace_s: float = HELD_GRACE_S,
        pending_grace_s: float = PENDING_GRACE_S,
    ) -> list[Alert]:
        """Alerts to (re)publish: pending ones the monitor gave up on, and held ones well past their release time.

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
                    "alert %s has an unreadable stored body (%s); kept in the store, not republished",
                    alert_id,
                    type(exc).__name__,
                )
        return alerts

    def harassment_times(
        self, subject: str, *, since: dt.datetime, until: dt.datetime
    ) -> list[float]:
        """When harassment of ``subject`` happened (epoch seconds), for the pile-on baseline.

        Event time (``occurred_at``) of each mention's current classification,
        the clock the streaming policy runs on; a backfill that re-classifies a
        year of mentions today does not look like a spike today.
        """
        table = schema.mentions
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(table.c.occurred_at).where(
                    table.c.subject == subject,
                    table.c.occurred_at >= since,
                    table.c.occurred_at < until,
                    table.c.label == "harassment",
                    table.c.is_current == sa.true(),
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
            return [
                dict(r)
                for r in connection.execute(
                    sa.select(schema.feed_state).order_by(schema.feed_state.c.name)
                ).mappings()
            ]

    def _ensure_feed(
        self, connection: sa.Connection, url: str, name: str, kind: str | None = None
    ) -> None:
        table = schema.feed_state
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[
            self.engine.dialect.name
        ]
        connection.execute(
            insert(table)
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
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[
            self.engine.dialect.name
        ]
        statement = insert(table).values(feed_url=url, day=now.date().isoformat(), items=new_items)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["feed_url", "day"], set_={"items": table.c["items"] + new_items}
            )
        )

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
        table = schema.feed_state
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
        if new_items:
            values.update(items_total=table.c.items_total + new_items, last_item_at=now)
        if cursor is not None:
            values["cursor"] = cursor
        if kind is not None:
            values["kind"] = kind
        if truncated:
            values["last_truncated_at"] = now
        with self.engine.begin() as connection:
            self._ensure_feed(connection, url, name, kind)
            connection.execute(table.update().where(table.c.feed_url == url).values(**values))
            if new_items:
                self._count_daily(connection, url, new_items, now)

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
        if new_items:
            values.update(items_total=table.c.items_total + new_items, last_item_at=now)
        with self.engine.begin() as connection:
            self._ensure_feed(connection, url, name, kind)
            connection.execute(table.update().where(table.c.feed_url == url).values(**values))
            if new_items:
                self._count_daily(connection, url, new_items, now)

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
                .values(published_at=timeutil.now(), attempts=table.c.attempts + 1)
            )

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
        """Stops redelivering items (they are dead-lettered and the operator is told). They are not
        marked processed: a monitor that is only slow still processes and confirms them."""
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
        """Forgets processed (or given-up) items first seen more than ``retention_days`` ago."""
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

    def count(self, table: str, **where: Any) -> int:
        t = schema.metadata.tables[table]
        statement = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            statement = statement.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())
