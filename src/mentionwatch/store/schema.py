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
* ``fetches`` and ``evidence_blobs``: every successful fetch (URL, time,
  status, headers) and the raw response bodies it returned, stored once per
  SHA-256 (``items.raw_ref`` points here). Evidence packs are built from them.
* ``takedown_requests`` and ``takedown_events``: takedown and report requests,
  their status, clocks and URL re-checks (``mentionwatch takedown``).
* ``alert_feedback``: what the subject, her helper or an analyst said about an
  alert (confirmed, not about me, not harassment, wrong type), by whom and when.
* ``web_users`` and ``web_audit``: passwords of the web inbox's accounts (roles
  and subjects come from the config) and its audit log (logins, reveals,
  exports, downloads, marks).

The schema is versioned: every change here comes with an Alembic revision in
``store/migrations/versions`` (a test fails when they drift apart).
docs/history.md describes every column, the indexes and the retention of
each kind of data.
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
# Retention keeps a raw body while a stored item refers to it.
sa.Index("ix_items_raw_ref", items.c.raw_ref)

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
    # For analysts (denormalised from the item so the report's queries read one
    # table): when the mention happened (the item's published time, unless it
    # is missing or later than the fetch; then the fetch time), the
    # URL's host, the author, and the policy's severity for this classification.
    sa.Column("occurred_at", Timestamp),
    sa.Column("domain", sa.String(255), nullable=False, server_default=""),
    sa.Column("author", sa.String(500), nullable=False, server_default=""),
    sa.Column("severity", sa.String(16), nullable=False, server_default="none"),
    # True on the row of the latest classification written for the mention
    # (a backfill with a new model moves it); analyst queries read these rows.
    sa.Column("is_current", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("mention_id", "model_id", "model_version", name="uq_mentions_version"),
)
sa.Index("ix_mentions_item", mentions.c.item_id)
# Analyst queries (docs/history.md lists which query uses which index). The
# subject index covers the volume-per-day query and the pile-on baseline
# (HistoryStore.harassment_times); the label index covers the report's
# per-label breakdowns (types, sources, domains, severity, pile-on windows)
# and the harassment-type filter (a type implies the harassment label).
sa.Index(
    "ix_mentions_subject_occurred",
    mentions.c.subject,
    mentions.c.occurred_at,
    mentions.c.label,
    mentions.c.is_current,
)
sa.Index(
    "ix_mentions_label_occurred",
    mentions.c.label,
    mentions.c.occurred_at,
    mentions.c.is_current,
    mentions.c.subject,
    mentions.c.harassment_type,
    mentions.c.severity,
    mentions.c.score,
    mentions.c.source,
    mentions.c.domain,
)
sa.Index("ix_mentions_source_occurred", mentions.c.source, mentions.c.occurred_at)
sa.Index("ix_mentions_domain_occurred", mentions.c.domain, mentions.c.occurred_at)
sa.Index("ix_mentions_occurred", mentions.c.occurred_at)

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
sa.Index(
    "ix_alerts_kind_time", alerts.c.kind, alerts.c.created_at
)  # pile-on episodes in the report
sa.Index("ix_alerts_mention", alerts.c.mention_id)  # history: which mentions alerted
sa.Index("ix_alerts_leader", alerts.c.leader_id)  # evidence packs of burst alerts
sa.Index("ix_alerts_item", alerts.c.item_id)  # retention keeps items an alert refers to

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

# ---------------------------------------------------------------- evidence
#
# What the server sent, kept as evidence (mentionwatch.store.evidence). A body
# is stored once per SHA-256 of its bytes (compressed; the hash is of the
# bytes as fetched), however often it is fetched; each fetch is a row.

evidence_blobs = sa.Table(
    "evidence_blobs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("size", sa.BigInteger, nullable=False),  # bytes as fetched
    sa.Column("encoding", sa.String(16), nullable=False),  # how ``data`` is stored: zlib | identity
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("stored_at", Timestamp, nullable=False),
)

# One row per (URL, body): when that body was first and last fetched from
# that URL, and how often. The first fetch's status and headers are kept: they
# describe the moment of capture.
fetches = sa.Table(
    "fetches",
    metadata,
    sa.Column(
        "fetch_id", sa.String(64), primary_key=True
    ),  # hash of the URL and the body's SHA-256
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),  # response headers, names lower-cased
    sa.Column("first_fetched_at", Timestamp, nullable=False),
    sa.Column("last_fetched_at", Timestamp, nullable=False),
    sa.Column("fetch_count", sa.Integer, nullable=False, default=1),
    # Where the body really came from when the URL redirected (every hop, in order);
    # null when it did not.
    sa.Column("final_url", sa.Text),
    sa.Column("redirects", sa.JSON),
)
sa.Index("ix_fetches_sha256", fetches.c.sha256)
sa.Index("ix_fetches_last", fetches.c.last_fetched_at)

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
    # Social sources (docs/sources.md): what kind of source the row is, its
    # cursor (the newest post seen: paging stops there), when it was first
    # polled (the start of "silent" for a source that never produced an
    # item), when a poll last stopped at max_pages short of the cursor, and
    # the last health state the operator was told about.
    sa.Column("kind", sa.String(32)),
    sa.Column("cursor", sa.Text),
    sa.Column("first_poll_at", Timestamp),
    sa.Column("last_truncated_at", Timestamp),
    sa.Column("health_state", sa.String(16)),
    sa.Column("health_alerted_at", Timestamp),
)

# New items per source and UTC day, for the items-per-day health figure
# (the outbox forgets processed items; this keeps counts only).
source_daily_items = sa.Table(
    "source_daily_items",
    metadata,
    sa.Column("feed_url", sa.Text, primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),  # YYYY-MM-DD, UTC
    sa.Column("items", sa.Integer, nullable=False, default=0),
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
    # Redelivery stopped after the last attempt (a dead letter and an operator notice said so);
    # the monitor may still confirm it, so this is not "processed".
    sa.Column("given_up_at", Timestamp),
    # The ``item_id`` attribute of the message that first carried the item: a redelivery
    # re-sends it under the same key, so Dataflow's id_label dedupe recognises the copy.
    sa.Column("message_key", sa.String(64)),
)
sa.Index("ix_item_outbox_unprocessed", item_outbox.c.processed_at, item_outbox.c.published_at)
sa.Index("ix_item_outbox_seen", item_outbox.c.first_seen_at)

# ---------------------------------------------------------------- notify
#
# ``mentionwatch notify`` keeps its promises here: a row in
# ``notify_deliveries`` means "this notification reached (or was given up on
# for) this recipient's channel", so a redelivered Pub/Sub message sends
# nothing twice; ``notify_digest_queue`` holds what waits for a digest (or for
# quiet hours to end) across restarts; ``notify_dead_letters`` keeps what
# could not be delivered, with what is needed to redeliver it.

notify_deliveries = sa.Table(
    "notify_deliveries",
    metadata,
    sa.Column("ref", sa.String(64), primary_key=True),  # alert id (immediate) or digest id
    sa.Column("recipient", sa.String(64), primary_key=True),
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # immediate | digest
    sa.Column("status", sa.String(16), nullable=False),  # sent | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("detail", sa.Text, nullable=False, default=""),  # the channel's receipt
    sa.Column("last_error", sa.Text),
    sa.Column("updated_at", Timestamp, nullable=False),
)

notify_digest_queue = sa.Table(
    "notify_digest_queue",
    metadata,
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("recipient", sa.String(64), primary_key=True),
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("label", sa.String(32), nullable=False),
    sa.Column("severity", sa.String(16), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),  # digest | quiet_hours
    sa.Column("queued_at", Timestamp, nullable=False),
    sa.Column("due_at", Timestamp, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # queued | batched | sent
    sa.Column("digest_id", sa.String(64)),
    sa.Column("sent_at", Timestamp),
)
sa.Index("ix_notify_digest_queue_due", notify_digest_queue.c.status, notify_digest_queue.c.due_at)

notify_dead_letters = sa.Table(
    "notify_dead_letters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "ref", sa.String(200), nullable=False
    ),  # alert id, digest id, or message id if unreadable
    sa.Column("recipient", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # immediate | digest | unreadable
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("payload", sa.JSON, nullable=False),  # the alert bodies, to redeliver
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("resolved_at", Timestamp),
    sa.UniqueConstraint("ref", "recipient", "channel", name="uq_notify_dead_letters"),
)

# One row per alert ``notify`` has taken in (from Pub/Sub, or from this store
# when Pub/Sub did not bring it in time): the store's record of what reached
# the delivery side. A published alert without a row here is still on its way.
notify_received = sa.Table(
    "notify_received",
    metadata,
    sa.Column("alert_id", sa.String(64), primary_key=True),
    sa.Column("via", sa.String(16), nullable=False),  # pubsub | store
    sa.Column("outcome", sa.String(16), nullable=False),  # routed | unrouted
    sa.Column("received_at", Timestamp, nullable=False),
    sa.Column("noticed_at", Timestamp),  # when the operator was told it was not delivered in time
)

# ---------------------------------------------------------------- takedown
#
# ``mentionwatch takedown`` (store/takedowns.py): each request the subject or
# her helper drafted, its status and the time of each transition (the clock
# runs from ``sent_at``), and its events: every status change and every
# re-check of its URLs (the fetch itself is kept in ``fetches`` as evidence).

takedown_requests = sa.Table(
    "takedown_requests",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),  # from kind and alert ids
    sa.Column("kind", sa.String(16), nullable=False),  # dmca | ncii | dsa | platform
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("alert_ids", sa.JSON, nullable=False),
    sa.Column("urls", sa.JSON, nullable=False),
    sa.Column("work", sa.Text),  # the known_content title it is about, when one matched
    # drafted | sent | acknowledged | removed | refused
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("deadline_hours", sa.Float, nullable=False),  # counted from sent_at
    sa.Column("deadline_rule", sa.Text, nullable=False),  # the rule, in words
    sa.Column("document", sa.Text, nullable=False),  # the request as drafted
    sa.Column("drafted_at", Timestamp, nullable=False),
    sa.Column("sent_at", Timestamp),
    sa.Column("acknowledged_at", Timestamp),
    sa.Column("removed_at", Timestamp),
    sa.Column("refused_at", Timestamp),
    sa.Column("updated_at", Timestamp, nullable=False),
    sa.Column("last_checked_at", Timestamp),
    sa.Column("overdue_noticed_at", Timestamp),  # when the helper was told it is overdue
)
sa.Index("ix_takedown_requests_status", takedown_requests.c.status)

takedown_events = sa.Table(
    "takedown_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(64), nullable=False),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("event", sa.String(16), nullable=False),  # status | check | notice
    sa.Column("status", sa.String(16)),  # the new status (status events), or none
    sa.Column("url", sa.Text),  # the URL re-checked (check events)
    # check: serving | removed | gone | unknown
    sa.Column("outcome", sa.String(16)),
    sa.Column("http_status", sa.Integer),
    sa.Column("fetch_id", sa.String(64)),  # the fetches row holding the re-check's evidence
    sa.Column("sha256", sa.String(64)),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
)
sa.Index("ix_takedown_events_request", takedown_events.c.request_id, takedown_events.c.time)

# ---------------------------------------------------------------- feedback
#
# store/feedback.py: every mark a person put on an alert. Marks are appended,
# never overwritten: the latest mark per alert is what holds, and the history
# of marks is itself evidence of who decided what. ``mentionwatch train
# --with-feedback`` and the threshold calibration read them; they never leave
# the deployment.

alert_feedback = sa.Table(
    "alert_feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(64), nullable=False),
    sa.Column("subject", sa.String(300), nullable=False),
    # confirmed | not_about_me | not_harassment | wrong_type
    sa.Column("mark", sa.String(16), nullable=False),
    sa.Column("corrected_type", sa.String(32)),  # wrong_type: the harassment type it is
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("by_user", sa.String(64), nullable=False),
    sa.Column("at", Timestamp, nullable=False),
)
sa.Index("ix_alert_feedback_alert", alert_feedback.c.alert_id, alert_feedback.c.at)
sa.Index("ix_alert_feedback_subject", alert_feedback.c.subject, alert_feedback.c.at)

# ---------------------------------------------------------------- web inbox
#
# store/accounts.py: the web inbox's accounts. Who may sign in, with which
# role and for which subjects, is in the config (``web.users``); the store
# keeps only each account's argon2 password hash. ``web_audit`` is
# append-only: every sign-in (and failed one), reveal of hidden text, export,
# evidence download and mark.

web_users = sa.Table(
    "web_users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("updated_at", Timestamp, nullable=False),
)

web_audit = sa.Table(
    "web_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("time", Timestamp, nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.Text, nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False, server_default=""),
    sa.Column("remote", sa.String(64), nullable=False, server_default=""),
)
sa.Index("ix_web_audit_time", web_audit.c.time)
sa.Index("ix_web_audit_user", web_audit.c.user, web_audit.c.time)
