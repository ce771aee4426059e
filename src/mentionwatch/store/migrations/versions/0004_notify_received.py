"""Delivery you can see: which published alerts reached ``notify``.

* ``notify_received``: one row per alert the delivery side took in, from
  Pub/Sub or (when Pub/Sub did not bring it in time) from this store, and
  when the operator was told it had not been delivered.

Additive: existing rows keep working. Alerts published before this revision
have no row; ``notify`` reconciles only alerts published in the last
``notify.delivery.reconcile_window_h`` hours, so an upgrade does not resend
old ones.

Revision ID: 0004_delivery
Revises: 0003_sources
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery"
down_revision = "0003_sources"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notify_received",
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("noticed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("alert_id"),
    )


def downgrade() -> None:
    op.drop_table("notify_received")
