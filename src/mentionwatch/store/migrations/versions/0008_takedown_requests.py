"""Takedown and report requests, with their status, clocks and URL re-checks.

* ``takedown_requests``: one row per request ``mentionwatch takedown draft``
  wrote (kind, subject, host, alert ids, URLs, the known work it is about),
  its status (drafted, sent, acknowledged, removed, refused) with the time of
  each transition, the deadline rule, the drafted document, when its URLs
  were last re-checked and when the helper was told it is overdue.
* ``takedown_events``: every status change and every re-check of a URL (the
  re-check's response is kept in ``fetches``/``evidence_blobs``; the event
  names its ``fetch_id``).

Additive: nothing existing changes.

Revision ID: 0008_takedown
Revises: 0007_message_key
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_takedown"
down_revision = "0007_message_key"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "takedown_requests",
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("alert_ids", sa.JSON(), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("work", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("deadline_hours", sa.Float(), nullable=False),
        sa.Column("deadline_rule", sa.Text(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("drafted_at", Timestamp, nullable=False),
        sa.Column("sent_at", Timestamp, nullable=True),
        sa.Column("acknowledged_at", Timestamp, nullable=True),
        sa.Column("removed_at", Timestamp, nullable=True),
        sa.Column("refused_at", Timestamp, nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.Column("last_checked_at", Timestamp, nullable=True),
        sa.Column("overdue_noticed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_index("ix_takedown_requests_status", "takedown_requests", ["status"])
    op.create_table(
        "takedown_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("time", Timestamp, nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("fetch_id", sa.String(64), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_takedown_events_request", "takedown_events", ["request_id", "time"])


def downgrade() -> None:
    op.drop_index("ix_takedown_events_request", table_name="takedown_events")
    op.drop_table("takedown_events")
    op.drop_index("ix_takedown_requests_status", table_name="takedown_requests")
    op.drop_table("takedown_requests")
