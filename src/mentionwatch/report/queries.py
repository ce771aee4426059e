"""The report's queries: one indexed, aggregated SELECT each, on SQLite and PostgreSQL.

Each takes a connection and a ``Window`` (time range and subjects) and
returns plain Python data. They read only current classifications
(``mentions.is_current``) and bucket time by ``mentions.occurred_at`` in UTC.
``benchmarks/history.py`` times exactly these functions on a million
mentions; docs/history.md lists the index each one uses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from mentionwatch.store import schema
from mentionwatch.timeutil import parse_time

SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


@dataclasses.dataclass(frozen=True)
class Window:
    """The report's period ``[since, until)`` and the subjects it covers (empty: all)."""

    since: dt.datetime
    until: dt.datetime
    subjects: tuple[str, ...] = ()


def day_bucket(dialect: str, column: sa.ColumnElement) -> sa.ColumnElement:
    """``YYYY-MM-DD`` (UTC) of a timestamp column."""
    if dialect == "sqlite":
        # SQLite stores SQLAlchemy timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here).
        return sa.func.substr(column, 1, 10)
    return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")


def epoch_bucket(dialect: str, column: sa.ColumnElement, seconds: int) -> sa.ColumnElement:
    """Index of the ``seconds``-long window (since the epoch) a timestamp falls in."""
    if dialect == "sqlite":
        return sa.cast(sa.func.strftime("%s", column), sa.Integer) / seconds
    return sa.cast(sa.func.floor(sa.extract("epoch", column) / seconds), sa.BigInteger)


def _in_window(window: Window, *, since: dt.datetime | None = None) -> list[sa.ColumnElement]:
    m = schema.mentions
    conditions = [
        m.c.occurred_at >= (since or window.since),
        m.c.occurred_at < window.until,
        m.c.is_current == sa.true(),
    ]
    if window.subjects:
        conditions.append(m.c.subject.in_(window.subjects))
    return conditions


def volume_by_day_statement(dialect: str, window: Window) -> sa.Select:
    """SELECT of (day, label, mentions) in the window, by day and label."""
    m = schema.mentions
    day = day_bucket(dialect, m.c.occurred_at).label("day")
    return (
        sa.select(day, m.c.label, sa.func.count().label("n"))
        .where(*_in_window(window))
        .group_by(day, m.c.label)
        .order_by(day, m.c.label)
    )


def volume_by_day(connection: sa.Connection, window: Window) -> list[tuple[str, str, int]]:
    """(day, label, mentions) for every day and label with any."""
    statement = volume_by_day_statement(connection.dialect.name, window)
    return [(r.day, r.label, int(r.n)) for r in connection.execute(statement)]


def top_repromoters_statement(window: Window, by: str, limit: int = 10) -> sa.Select:
    """SELECT of the top re-promoting sources, domains or authors (``by``)."""
    m = schema.mentions
    column = {"source": m.c.source, "domain": m.c.domain, "author": m.c.author}[by]
    return (
        sa.select(
            column.label("key"),
            sa.func.count().label("n"),
            sa.func.min(m.c.occurred_at).label("first"),
            sa.func.max(m.c.occurred_at).label("last"),
        )
        .where(*_in_window(window), m.c.label == "re_promotion", column != "")
        .group_by(column)
        .order_by(sa.func.count().desc(), column)
        .limit(limit)
    )


def top_repromoters(
    connection: sa.Connection, window: Window, by: str, limit: int = 10
) -> list[dict[str, Any]]:
    """Who re-promotes most: ``by`` is ``source``, ``domain`` or ``author``."""
    statement = top_repromoters_statement(window, by, limit)
    return [
        {"key": r.key, "count": int(r.n), "first": parse_time(r.first), "last": parse_time(r.last)}
        for r in connection.execute(statement)
    ]


def harassment_by_type_statement(window: Window) -> sa.Select:
    """SELECT of harassing mentions per harassment type in the window."""
    m = schema.mentions
    return (
        sa.select(m.c.harassment_type, sa.func.count().label("n"))
        .where(*_in_window(window), m.c.label == "harassment")
        .group_by(m.c.harassment_type)
    )


def harassment_by_type(connection: sa.Connection, window: Window) -> dict[str, int]:
    """Harassment type (``unspecified`` when none) → harassing mentions."""
    statement = harassment_by_type_statement(window)
    return {(r.harassment_type or "unspecified"): int(r.n) for r in connection.execute(statement)}


def harassment_windows_statement(
    dialect: str, window: Window, *, window_s: int, baseline_days: int
) -> sa.Select:
    """SELECT of (subject, window index, harassment) from the baseline start."""
    m = schema.mentions
    bucket = epoch_bucket(dialect, m.c.occurred_at, window_s).label("bucket")
    return (
        sa.select(m.c.subject, bucket, sa.func.count().label("n"))
        .where(
            *_in_window(window, since=window.since - dt.timedelta(days=baseline_days)),
            m.c.label == "harassment",
        )
        .group_by(m.c.subject, bucket)
        .order_by(m.c.subject, bucket)
    )


def harassment_windows(
    connection: sa.Connection, window: Window, *, window_s: int, baseline_days: int
) -> list[tuple[str, int, int]]:
    """(subject, window index, harassment) rows, ``baseline_days`` before the period to its end."""
    statement = harassment_windows_statement(
        connection.dialect.name, window, window_s=window_s, baseline_days=baseline_days
    )
    return [(r.subject, int(r.bucket), int(r.n)) for r in connection.execute(statement)]


def pile_on_alerts_statement(window: Window) -> sa.Select:
    """SELECT of the pile-on alerts created in the window."""
    a = schema.alerts
    statement = (
        sa.select(a.c.alert_id, a.c.subject, a.c.count, a.c.created_at, a.c.status)
        .where(a.c.kind == "pile_on", a.c.created_at >= window.since, a.c.created_at < window.until)
        .order_by(a.c.created_at)
    )
    if window.subjects:
        statement = statement.where(a.c.subject.in_(window.subjects))
    return statement


def pile_on_alerts(connection: sa.Connection, window: Window) -> list[dict[str, Any]]:
    """Pile-on alerts the streaming monitor made in the period."""
    statement = pile_on_alerts_statement(window)
    return [
        {
            "alert_id": r.alert_id,
            "subject": r.subject,
            "count": int(r.count),
            "created_at": parse_time(r.created_at),
            "status": r.status,
        }
        for r in connection.execute(statement)
    ]


def alert_counts_statement(window: Window) -> sa.Select:
    """SELECT of alerts created in the window, counted by status."""
    a = schema.alerts
    statement = (
        sa.select(a.c.status, sa.func.count().label("n"))
        .where(a.c.created_at >= window.since, a.c.created_at < window.until)
        .group_by(a.c.status)
    )
    if window.subjects:
        statement = statement.where(a.c.subject.in_(window.subjects))
    return statement


def alert_counts(connection: sa.Connection, window: Window) -> dict[str, int]:
    """Alerts made in the period, by status."""
    statement = alert_counts_statement(window)
    return {r.status: int(r.n) for r in connection.execute(statement)}


def source_health(connection: sa.Connection, window: Window) -> list[dict[str, Any]]:
    """Every feed's state, with its dead letters in the period."""
    feeds, letters = schema.feed_state, schema.dead_letters
    errors = {
        r.ref: (int(r.n), parse_time(r.last))
        for r in connection.execute(
            sa.select(
                letters.c.ref, sa.func.count().label("n"), sa.func.max(letters.c.time).label("last")
            )
            .where(letters.c.time >= window.since, letters.c.time < window.until)
            .group_by(letters.c.ref)
        )
    }
    rows = []
    for r in connection.execute(sa.select(feeds).order_by(feeds.c.name)).mappings():
        count, last = errors.get(r["feed_url"], (0, None))
        rows.append(
            {
                "name": r["name"],
                "url": r["feed_url"],
                "last_status": r["last_status"],
                "last_success_at": parse_time(r["last_success_at"]),
                "last_failure_at": parse_time(r["last_failure_at"]),
                "consecutive_failures": int(r["consecutive_failures"] or 0),
                "last_error": r["last_error"],
                "items_total": int(r["items_total"] or 0),
                "errors_in_period": count,
                "last_error_at": last,
            }
        )
    return rows


def dead_letters_statement(window: Window) -> sa.Select:
    """SELECT of the window's dead letters by stage and reference (top 50)."""
    letters = schema.dead_letters
    return (
        sa.select(
            letters.c.stage,
            letters.c.ref,
            sa.func.count().label("n"),
            sa.func.max(letters.c.time).label("last"),
        )
        .where(letters.c.time >= window.since, letters.c.time < window.until)
        .group_by(letters.c.stage, letters.c.ref)
        .order_by(sa.func.count().desc(), letters.c.stage, letters.c.ref)
        .limit(50)
    )


def dead_letters_by_stage(connection: sa.Connection, window: Window) -> list[dict[str, Any]]:
    """Dead letters in the period by stage and reference.

    Feeds the scan reads have no feed_state row: their failures are only here.
    """
    statement = dead_letters_statement(window)
    return [
        {"stage": r.stage, "ref": r.ref, "count": int(r.n), "last": parse_time(r.last)}
        for r in connection.execute(statement)
    ]


def top_severity_statement(window: Window, limit: int = 25) -> sa.Select:
    """SELECT of the highest-severity harassing or re-promoting mentions."""
    m, items, alerts = schema.mentions, schema.items, schema.alerts
    rank = sa.case(SEVERITY_RANK, value=m.c.severity, else_=0)
    own_alert = sa.and_(
        alerts.c.mention_id == m.c.mention_id,
        alerts.c.label == m.c.label,
        alerts.c.kind != "pile_on",
    )
    top = (
        sa.select(m.c.id)
        .where(*_in_window(window), m.c.label.in_(("harassment", "re_promotion")))
        .order_by(rank.desc(), m.c.score.desc(), m.c.occurred_at.desc())
        .limit(limit)
        .subquery()
    )
    return (
        sa.select(
            m.c.occurred_at,
            m.c.subject,
            m.c.label,
            m.c.harassment_type,
            m.c.severity,
            m.c.score,
            m.c.source,
            m.c.domain,
            m.c.model_id,
            m.c.model_version,
            items.c.url,
            (
                sa.func.coalesce(sa.func.length(items.c.title), 0)
                + sa.func.coalesce(sa.func.length(items.c.text), 0)
            ).label("chars"),
            alerts.c.alert_id,
        )
        .select_from(
            m.join(top, top.c.id == m.c.id)
            .join(items, items.c.id == m.c.item_id)
            .outerjoin(alerts, own_alert)
        )
        .order_by(rank.desc(), m.c.score.desc(), m.c.occurred_at.desc())
    )


def top_severity(
    connection: sa.Connection, window: Window, limit: int = 25
) -> list[dict[str, Any]]:
    """The most severe non-benign mentions of the period (severity, then score, then newest)."""
    statement = top_severity_statement(window, limit)
    return [
        {
            "occurred_at": parse_time(r.occurred_at),
            "subject": r.subject,
            "label": r.label,
            "harassment_type": r.harassment_type,
            "severity": r.severity,
            "score": float(r.score),
            "source": r.source,
            "domain": r.domain,
            "url": r.url,
            "chars": int(r.chars or 0),
            "alert_id": r.alert_id,
            "model": f"{r.model_id}@{r.model_version}",
        }
        for r in connection.execute(statement)
    ]


def report_statements(
    dialect: str, window: Window, *, window_s: int = 3600, baseline_days: int = 14
) -> dict[str, sa.Select]:
    """Every mentions/alerts query of the report by name.

    The benchmark and the index tests explain these.
    """
    return {
        "volume per day by label": volume_by_day_statement(dialect, window),
        "harassment by type": harassment_by_type_statement(window),
        "top re-promoting domains": top_repromoters_statement(window, "domain"),
        "top re-promoting sources": top_repromoters_statement(window, "source"),
        "top re-promoting authors": top_repromoters_statement(window, "author"),
        "harassment per window (pile-ons)": harassment_windows_statement(
            dialect, window, window_s=window_s, baseline_days=baseline_days
        ),
        "pile-on alerts": pile_on_alerts_statement(window),
        "alerts by status": alert_counts_statement(window),
        "dead letters by stage": dead_letters_statement(window),
        "highest-severity mentions": top_severity_statement(window),
    }


def alert_delivery(connection: sa.Connection, window: Window) -> list[Any]:
    """Every alert made in the period, with where it stands on its way to people.

    The states are those of ``notify.delivery``.
    """
    from mentionwatch.notify import delivery

    alerts = delivery.alert_deliveries(
        connection, since=window.since, subjects=window.subjects or None
    )
    return [a for a in alerts if a.created_at < window.until]
