"""Items given up are not items processed.

* ``item_outbox.given_up_at``: when ingest stopped redelivering an item the
  monitor never confirmed. Before this revision giving up set
  ``processed_at``, so a monitor that was merely slow skipped the item when
  it finally arrived; now it still processes and confirms it.

Revision ID: 0006_given_up
Revises: 0005_redirects
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_given_up"
down_revision = "0005_redirects"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_outbox") as batch:
        batch.add_column(sa.Column("given_up_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_outbox") as batch:
        batch.drop_column("given_up_at")
