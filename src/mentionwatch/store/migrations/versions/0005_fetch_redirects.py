"""Evidence says where a body came from: the final URL and the redirect chain of a fetch.

* ``fetches.final_url`` and ``fetches.redirects``: null for fetches that did
  not redirect (and for every fetch recorded before this revision).

Revision ID: 0005_redirects
Revises: 0004_delivery
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_redirects"
down_revision = "0004_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fetches") as batch:
        batch.add_column(sa.Column("final_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("redirects", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("fetches") as batch:
        batch.drop_column("redirects")
        batch.drop_column("final_url")
