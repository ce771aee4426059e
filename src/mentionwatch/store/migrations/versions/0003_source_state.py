"""Social sources: cursor, kind and health state per source; new items per day.

* ``feed_state`` gains ``kind``, ``cursor`` (the newest post seen; paging
  stops there), ``first_poll_at``, ``last_truncated_at``, ``health_state``
  and ``health_alerted_at`` (what the operator was last told).
* ``source_daily_items``: new items per source and UTC day (the items-per-day
  health figure; counts only).

All additive: existing rows keep working (the new columns start empty).

Revision ID: 0003_sources
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_sources"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("feed_state") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=True))
        batch.add_column(sa.Column("cursor", sa.Text(), nullable=True))
        batch.add_column(sa.Column("first_poll_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("last_truncated_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("health_state", sa.String(16), nullable=True))
        batch.add_column(sa.Column("health_alerted_at", Timestamp, nullable=True))
    op.create_table(
        "source_daily_items",
        sa.Column("feed_url", sa.Text(), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("feed_url", "day"),
    )


def downgrade() -> None:
    op.drop_table("source_daily_items")
    with op.batch_alter_table("feed_state") as batch:
        for column in (
            "health_alerted_at",
            "health_state",
            "last_truncated_at",
            "first_poll_at",
            "cursor",
            "kind",
        ):
            batch.drop_column(column)
