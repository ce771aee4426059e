"""The history store: typed writes and reads over SQLAlchemy Core.

``HistoryStore(url)`` opens SQLite (WAL journal, a busy timeout so several
worker processes can write) or PostgreSQL. Writes are batched upserts keyed on
content-derived ids, so replays and retries are harmless.

Errors are sorted the way sinks must sort them: ``StoreUnavailable`` (cannot
connect, database locked past the timeout) is transient and raised so the
runner retries; anything wrong with a row itself is the caller's to
dead-letter.

The SQL lives in one module per concern, each a part of the store:

=======================  ==========================================================
``base.StoreBase``       opening, schema check, transactions, upserts, ``count``
``mentions``             items and their classified mentions
``alerts``               the alert lifecycle (held, grouped, pending, published)
``outbox``               ingest's item outbox, until the monitor confirms an item
``source_state``         per-source validators, cursors and health
``dead_letters``         the one dead-letter table
``takedowns``            takedown requests, their status clocks and URL re-checks
``feedback``             marks people put on alerts (confirmed, not about me, ...)
``accounts``             the web inbox's password hashes and audit log
=======================  ==========================================================
"""

from __future__ import annotations

from mentionwatch.store.accounts import AccountStore
from mentionwatch.store.alerts import AlertStore
from mentionwatch.store.dead_letters import DeadLetterStore
from mentionwatch.store.feedback import FeedbackStore
from mentionwatch.store.mentions import MentionStore
from mentionwatch.store.outbox import OutboxStore
from mentionwatch.store.source_state import SourceStateStore
from mentionwatch.store.takedowns import TakedownStore


class HistoryStore(
    MentionStore,
    AlertStore,
    OutboxStore,
    SourceStateStore,
    DeadLetterStore,
    TakedownStore,
    FeedbackStore,
    AccountStore,
):
    """Reads and writes the mention history: every part of the store on one engine."""
