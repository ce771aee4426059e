"""A redelivered items message keeps the id of its first send.

* ``item_outbox.message_key``: the ``item_id`` attribute of the message that
  first carried the item. Ingest's redelivery re-sends unconfirmed items
  grouped by it and under it, so the monitor's ``ReadFromPubSub(id_label=...)``
  on Dataflow drops a copy of a message it already has. Rows from before this
  revision have none; they are re-sent under a key derived from their ids.

Revision ID: 0007_message_key
Revises: 0006_given_up
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_message_key"
down_revision = "0006_given_up"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("item_outbox") as batch:
        batch.add_column(sa.Column("message_key", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("item_outbox") as batch:
        batch.drop_column("message_key")
