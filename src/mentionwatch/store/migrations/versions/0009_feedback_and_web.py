"""Feedback marks on alerts, and the web inbox's accounts and audit log.

* ``alert_feedback``: every mark the subject, her helper or an analyst put
  on an alert (confirmed, not about me, not harassment, wrong type with the
  corrected type), by whom and when; appended, never overwritten.
* ``web_users``: the argon2 password hash of each web account (its role and
  subjects are in the config).
* ``web_audit``: sign-ins, reveals of hidden text, exports, evidence
  downloads and marks.

Additive: nothing existing changes.

Revision ID: 0009_feedback_web
Revises: 0008_takedown
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_feedback_web"
down_revision = "0008_takedown"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "alert_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("mark", sa.String(16), nullable=False),
        sa.Column("corrected_type", sa.String(32), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("by_user", sa.String(64), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_feedback_alert", "alert_feedback", ["alert_id", "at"])
    op.create_index("ix_alert_feedback_subject", "alert_feedback", ["subject", "at"])
    op.create_table(
        "web_users",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "web_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("time", Timestamp, nullable=False),
        sa.Column("user", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target", sa.Text(), server_default="", nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.Column("remote", sa.String(64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_web_audit_time", "web_audit", ["time"])
    op.create_index("ix_web_audit_user", "web_audit", ["user", "time"])


def downgrade() -> None:
    op.drop_index("ix_web_audit_user", table_name="web_audit")
    op.drop_index("ix_web_audit_time", table_name="web_audit")
    op.drop_table("web_audit")
    op.drop_table("web_users")
    op.drop_index("ix_alert_feedback_subject", table_name="alert_feedback")
    op.drop_index("ix_alert_feedback_alert", table_name="alert_feedback")
    op.drop_table("alert_feedback")
