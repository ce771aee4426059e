"""Mention history for analysts, and evidence.

* ``evidence_blobs`` and ``fetches``: raw response bodies (content-addressed)
  and the fetch records that returned them.
* ``mentions``: ``occurred_at``, ``domain``, ``author``, ``severity`` and
  ``is_current``, filled in for rows stored before; the analyst indexes
  replace the two classified_at indexes (the pile-on baseline reads
  ``occurred_at``, through the subject index).
* ``items.raw_ref`` and ``alerts`` (kind, mention, leader, item) indexes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)

_MENTION_INDEXES = {
    "ix_mentions_subject_occurred": ["subject", "occurred_at", "label", "is_current"],
    "ix_mentions_label_occurred": [
        "label",
        "occurred_at",
        "is_current",
        "subject",
        "harassment_type",
        "severity",
        "score",
        "source",
        "domain",
    ],
    "ix_mentions_source_occurred": ["source", "occurred_at"],
    "ix_mentions_domain_occurred": ["domain", "occurred_at"],
    "ix_mentions_occurred": ["occurred_at"],
}


def upgrade() -> None:
    op.create_table(
        "evidence_blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("encoding", sa.String(16), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "fetches",
        sa.Column("fetch_id", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("first_fetched_at", Timestamp, nullable=False),
        sa.Column("last_fetched_at", Timestamp, nullable=False),
        sa.Column("fetch_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("fetch_id"),
    )
    op.create_index("ix_fetches_sha256", "fetches", ["sha256"])
    op.create_index("ix_fetches_last", "fetches", ["last_fetched_at"])
    op.create_index("ix_items_raw_ref", "items", ["raw_ref"])

    with op.batch_alter_table("mentions") as batch:
        batch.add_column(sa.Column("occurred_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("domain", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("author", sa.String(500), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("severity", sa.String(16), nullable=False, server_default="none")
        )
        batch.add_column(
            sa.Column("is_current", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    _fill_mentions(op.get_bind())
    op.drop_index("ix_mentions_label_time", table_name="mentions")
    op.drop_index(
        "ix_mentions_subject_time", table_name="mentions"
    )  # the baseline reads occurred_at now
    for name, columns in _MENTION_INDEXES.items():
        op.create_index(name, "mentions", columns)

    op.create_index("ix_alerts_kind_time", "alerts", ["kind", "created_at"])
    op.create_index("ix_alerts_mention", "alerts", ["mention_id"])
    op.create_index("ix_alerts_leader", "alerts", ["leader_id"])
    op.create_index("ix_alerts_item", "alerts", ["item_id"])


def _fill_mentions(connection: sa.Connection) -> None:
    """Derives the new columns for mentions stored before this revision."""
    from mentionwatch.alerts.selection import severity
    from mentionwatch.store.derive import domain_of, occurred_at

    meta = sa.MetaData()
    mentions = sa.Table("mentions", meta, autoload_with=connection)
    items = sa.Table("items", meta, autoload_with=connection)

    def aware(value):
        if value is None or isinstance(value, dt.datetime):
            moment = value
        else:
            moment = dt.datetime.fromisoformat(str(value))
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment

    rows = connection.execute(
        sa.select(
            mentions.c.id,
            mentions.c.mention_id,
            mentions.c.label,
            mentions.c.harassment_type,
            mentions.c.score,
            mentions.c.thresholds,
            mentions.c.published_at,
            mentions.c.classified_at,
            items.c.url,
            items.c.author,
            items.c.fetched_at,
        ).select_from(mentions.join(items, mentions.c.item_id == items.c.id))
    ).all()
    latest: dict[str, tuple] = {}
    updates = []
    for row in rows:
        classified = aware(row.classified_at)
        threshold = float((row.thresholds or {}).get(row.label, 0.5))
        updates.append(
            {
                "b_id": row.id,
                "b_occurred": occurred_at(
                    aware(row.published_at), aware(row.fetched_at), classified
                ),
                "b_domain": domain_of(row.url),
                "b_author": (row.author or "")[:500],
                "b_severity": severity(row.label, row.harassment_type, float(row.score), threshold),
            }
        )
        key = (classified, row.id)
        if row.mention_id not in latest or key > latest[row.mention_id]:
            latest[row.mention_id] = key
    current = {key[1] for key in latest.values()}
    for update in updates:
        update["b_current"] = update["b_id"] in current
    if updates:
        connection.execute(
            mentions.update()
            .where(mentions.c.id == sa.bindparam("b_id"))
            .values(
                occurred_at=sa.bindparam("b_occurred"),
                domain=sa.bindparam("b_domain"),
                author=sa.bindparam("b_author"),
                severity=sa.bindparam("b_severity"),
                is_current=sa.bindparam("b_current"),
            ),
            updates,
        )


def downgrade() -> None:
    op.drop_index("ix_alerts_item", table_name="alerts")
    op.drop_index("ix_alerts_leader", table_name="alerts")
    op.drop_index("ix_alerts_mention", table_name="alerts")
    op.drop_index("ix_alerts_kind_time", table_name="alerts")
    for name in _MENTION_INDEXES:
        op.drop_index(name, table_name="mentions")
    op.create_index("ix_mentions_label_time", "mentions", ["label", "classified_at"])
    op.create_index("ix_mentions_subject_time", "mentions", ["subject", "classified_at"])
    with op.batch_alter_table("mentions") as batch:
        for column in ("is_current", "severity", "author", "domain", "occurred_at"):
            batch.drop_column(column)
    op.drop_index("ix_items_raw_ref", table_name="items")
    op.drop_table("fetches")
    op.drop_table("evidence_blobs")
