"""Filtered queries over stored mentions, one SELECT per filter set.

Every filter maps to an indexed column of ``mentions`` (docs/history.md has
the index for each): subject, label, harassment type, source, domain and the
time range (``occurred_at``). Text search is a case-insensitive substring
match on the item's title and text, applied to the rows the indexed filters
select (narrow with the other filters first on a large store).

By default only each mention's current classification is returned (the
latest model version written; ``all_versions`` returns every version, and
``model_version`` picks one). Rows come newest first.

Abusive text is never returned unless asked for (``show_text``): the
``content`` column describes it the way alerts do (``alerts.masking.mask``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch.alerts.masking import mask
from mentionwatch.notify import delivery
from mentionwatch.records import SEVERITIES
from mentionwatch.store import schema
from mentionwatch.timeutil import parse_time

COLUMNS = (
    "occurred_at",
    "subject",
    "label",
    "harassment_type",
    "severity",
    "score",
    "source",
    "domain",
    "author",
    "url",
    "content",
    "alert_id",
    "alert_status",
    "delivery",
    "model_id",
    "model_version",
    "is_current",
    "classified_at",
    "published_at",
    "mention_id",
    "item_id",
)
TEXT_COLUMNS = ("title", "text")


@dataclasses.dataclass(frozen=True)
class HistoryFilter:
    """What to select; every field left empty selects everything."""

    subjects: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    domains: tuple[str, ...] = ()
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    text: str | None = None
    min_severity: str | None = None
    model_version: str | None = None
    all_versions: bool = False
    alerted: bool = False
    limit: int | None = None


def select_mentions(f: HistoryFilter, *, show_text: bool = False) -> sa.Select:
    """The SELECT for ``f`` (columns as in ``COLUMNS``, plus title/text with ``show_text``)."""
    m, items, alerts = schema.mentions, schema.items, schema.alerts
    # Pile-on alerts name the mention that tipped them over; only a mention's own alert is joined.
    own_alert = sa.and_(
        alerts.c.mention_id == m.c.mention_id,
        alerts.c.label == m.c.label,
        alerts.c.kind != "pile_on",
    )
    columns = [
        m.c.occurred_at,
        m.c.subject,
        m.c.label,
        m.c.harassment_type,
        m.c.severity,
        m.c.score,
        m.c.source,
        m.c.domain,
        m.c.author,
        items.c.url,
        sa.func.length(items.c.title).label("title_chars"),
        sa.func.length(items.c.text).label("text_chars"),
        alerts.c.alert_id,
        alerts.c.status.label("alert_status"),
        alerts.c.leader_id,
        m.c.model_id,
        m.c.model_version,
        m.c.is_current,
        m.c.classified_at,
        m.c.published_at,
        m.c.mention_id,
        m.c.item_id,
    ]
    if show_text:
        columns += [items.c.title, items.c.text]
    statement = sa.select(*columns).select_from(
        m.join(items, items.c.id == m.c.item_id).outerjoin(alerts, own_alert)
    )
    if f.model_version:
        statement = statement.where(m.c.model_version == f.model_version)
    elif not f.all_versions:
        statement = statement.where(m.c.is_current == sa.true())
    if f.subjects:
        statement = statement.where(m.c.subject.in_(f.subjects))
    if f.labels:
        statement = statement.where(m.c.label.in_(f.labels))
    if f.types:
        # Only harassment has a type; saying so lets the label index serve the filter.
        statement = statement.where(m.c.label == "harassment", m.c.harassment_type.in_(f.types))
    if f.sources:
        statement = statement.where(m.c.source.in_(f.sources))
    if f.domains:
        statement = statement.where(
            m.c.domain.in_([d.lower().removeprefix("www.") for d in f.domains])
        )
    if f.since is not None:
        statement = statement.where(m.c.occurred_at >= f.since)
    if f.until is not None:
        statement = statement.where(m.c.occurred_at < f.until)
    if f.min_severity:
        statement = statement.where(
            m.c.severity.in_(SEVERITIES[SEVERITIES.index(f.min_severity) :])
        )
    if f.alerted:
        statement = statement.where(alerts.c.alert_id.is_not(None))
    if f.text:
        statement = statement.where(
            sa.or_(
                items.c.title.icontains(f.text, autoescape=True),
                items.c.text.icontains(f.text, autoescape=True),
            )
        )
    statement = statement.order_by(m.c.occurred_at.desc(), m.c.mention_id, m.c.model_version)
    if f.limit:
        statement = statement.limit(f.limit)
    return statement


def _content(row: sa.Row) -> str:
    chars = (row.title_chars or 0) + (row.text_chars or 0)
    return mask(
        {
            "label": row.label,
            "harassment_type": row.harassment_type,
            "excerpt": "x" * chars,
            "content_warning": True,
        }
    )


def to_record(row: sa.Row, *, show_text: bool = False) -> dict[str, Any]:
    """One output record: times as aware UTC datetimes, text masked unless ``show_text``."""
    record = {
        "occurred_at": parse_time(row.occurred_at),
        "subject": row.subject,
        "label": row.label,
        "harassment_type": row.harassment_type,
        "severity": row.severity,
        "score": float(row.score),
        "source": row.source,
        "domain": row.domain,
        "author": row.author,
        "url": row.url,
        "content": _content(row),
        "alert_id": row.alert_id,
        "alert_status": row.alert_status,
        "delivery": None,
        "model_id": row.model_id,
        "model_version": row.model_version,
        "is_current": bool(row.is_current),
        "classified_at": parse_time(row.classified_at),
        "published_at": parse_time(row.published_at),
        "mention_id": row.mention_id,
        "item_id": row.item_id,
    }
    if show_text:
        record["title"] = row.title
        record["text"] = row.text
    return record


def iter_mentions(
    engine: sa.Engine, f: HistoryFilter, *, show_text: bool = False, batch: int = 5000
) -> Iterator[dict[str, Any]]:
    """Streams the records ``f`` selects (server-side cursor on PostgreSQL)."""
    statement = select_mentions(f, show_text=show_text)
    with engine.connect() as connection, engine.connect() as lookup:
        result = connection.execution_options(yield_per=batch).execute(statement)
        while rows := result.fetchmany(min(batch, 1000)):
            yield from _with_delivery(
                lookup, [(row, to_record(row, show_text=show_text)) for row in rows]
            )


def _with_delivery(
    connection: sa.Connection, rows: list[tuple[sa.Row, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Fills each record's ``delivery``: where its alert (or the burst it joined) stands."""
    wanted = {row.leader_id or row.alert_id for row, _ in rows if row.alert_id}
    states = (
        {a.alert_id: a.state for a in delivery.alert_deliveries(connection, alert_ids=wanted)}
        if wanted
        else {}
    )
    for row, record in rows:
        if row.alert_id:
            record["delivery"] = states.get(row.leader_id or row.alert_id)
    return [record for _, record in rows]


def columns(show_text: bool = False) -> Sequence[str]:
    """The output columns of ``iter_mentions``: title and text too only with ``show_text``."""
    return COLUMNS + (TEXT_COLUMNS if show_text else ())
