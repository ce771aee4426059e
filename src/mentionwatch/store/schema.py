"""Tables of the history store (SQLAlchemy Core).

One schema for SQLite (the embedded default) and PostgreSQL (production).
Identity is content-derived everywhere, so every write is an upsert and a
re-run of the same input leaves the tables as they were.

* ``items``: content that mentioned a subject (raw evidence by reference).
* ``mentions``: one row per (mention, model version): label, type, scores,
  thresholds and the matched spans. A re-classification with a new model adds
  rows; history keeps both.
* ``alerts``: every alert decided, with its publication status. An alert is
  written ``pending`` before it is published and marked ``published`` after,
  so nothing is lost if Pub/Sub is down.
* ``dead_letters``: everything any stage could not process.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

Timestamp = sa.DateTime(timezone=True)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("url", sa.Text, nullable=False, default=""),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("author", sa.String(500), nullable=False, default=""),
    sa.Column("published_at", Timestamp),
    sa.Column("fetched_at", Timestamp),
    sa.Column("language", sa.String(16)),
    sa.Column("raw_ref", sa.String(64), nullable=False, default=""),
    sa.Column("stored_at", Timestamp, nullable=False),
)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("mention_id", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(200), sa.ForeignKey("items.id"), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("label", sa.String(32), nullable=False),
    sa.Column("harassment_type", sa.String(32)),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("scores", sa.JSON, nullable=False),
    sa.Column("spans", sa.JSON, nullable=False),
    sa.Column("signals", sa.JSON, nullable=False),
    sa.Column("model_id", sa.String(300), nullable=False),
    sa.Column("model_version", sa.String(100), nullable=False),
    sa.Column("thresholds", sa.JSON, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("published_at", Timestamp),
    sa.Column("classified_at", Timestamp, nullable=False),
    # Set once the alert policy has decided on this mention (streaming monitor).
    sa.Column("decided_at", Timestamp),
    sa.UniqueConstraint("mention_id", "model_id", "model_version", name="uq_mentions_version"),
)
sa.Index("ix_mentions_subject_time", mentions.c.subject, mentions.c.classified_at)
sa.Index("ix_mentions_label_time", mentions.c.label, mentions.c.classified_at)
sa.Index("ix_mentions_item", mentions.c.item_id)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("mention_id", sa.String(64), nullable=False),
    sa.Column("item_id", sa.String(200), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("label", sa.String(32), nullable=False),
    sa.Column("harassment_type", sa.String(32)),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    # held: waiting for its burst window; pending: to publish; published;
    # grouped: folded into the alert ``leader_id``; local: no Pub/Sub configured.
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False, default="mention"),
    sa.Column("count", sa.Integer, nullable=False, default=1),
    sa.Column("group_key", sa.String(500)),
    sa.Column("leader_id", sa.String(64)),
    sa.Column("release_at", Timestamp),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("message_id", sa.String(100)),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("published_at", Timestamp),
)
sa.Index("ix_alerts_status", alerts.c.status)
sa.Index("ix_alerts_subject_time", alerts.c.subject, alerts.c.created_at)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("stage", sa.String(100), nullable=False),
    sa.Column("ref", sa.Text, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("payload", sa.Text, nullable=False, default=""),
)
sa.Index("ix_dead_letters_time", dead_letters.c.time)

# ---------------------------------------------------------------- ingest

feed_state = sa.Table(
    "feed_state",
    metadata,
    sa.Column("feed_url", sa.Text, primary_key=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("next_fetch_at", Timestamp),  # set from Retry-After
    sa.Column("last_status", sa.Integer),
    sa.Column("last_fetch_at", Timestamp),
    sa.Column("last_success_at", Timestamp),
    sa.Column("last_failure_at", Timestamp),
    sa.Column("consecutive_failures", sa.Integer, nullable=False, default=0),
    sa.Column("last_error", sa.Text),
    sa.Column("items_total", sa.Integer, nullable=False, default=0),
    sa.Column("last_item_at", Timestamp),
)

# Seen items and the outbox to the items topic, in one table: a row means the
# item was seen (dedup); published_at/processed_at track delivery to the
# monitor, which confirms an item once every mention in it is decided.
item_outbox = sa.Table(
    "item_outbox",
    metadata,
    sa.Column("item_id", sa.String(200), primary_key=True),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("first_seen_at", Timestamp, nullable=False),
    sa.Column("published_at", Timestamp),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("mentions_expected", sa.Integer),
    sa.Column("processed_at", Timestamp),
)
sa.Index("ix_item_outbox_unprocessed", item_outbox.c.processed_at, item_outbox.c.published_at)
sa.Index("ix_item_outbox_seen", item_outbox.c.first_seen_at)
