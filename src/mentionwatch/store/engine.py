"""Connecting to the history store: each backend's engine, and the errors of an unusable store.

``make_engine(url)`` gives SQLite a busy timeout and the WAL journal (several
worker processes write at once) and PostgreSQL a pre-ping pool. Both
``store.base`` (under every part of ``HistoryStore``) and ``store.migrate``
build on this module, which imports neither.
"""

from __future__ import annotations

import sqlite3
import time

import sqlalchemy as sa


class StoreUnavailable(RuntimeError):
    """The store cannot be reached right now; retrying later may succeed."""


class StoreSchemaError(StoreUnavailable):
    """The store's schema is not the one this code needs, and was not changed.

    A subclass of ``StoreUnavailable`` so every entry point that reports an
    unusable store (preflight, the CLI) reports this too; the message names
    the command that fixes it.
    """


def _use_wal(cursor, wait_s: float = 30.0) -> None:
    """Switches an SQLite file to WAL (once; the mode is stored in the file).

    Changing the journal mode needs the file to itself and SQLite answers
    "database is locked" at once instead of waiting out the busy timeout, so
    several processes opening a fresh store together retry here until one
    has switched it.
    """
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def make_engine(url: str) -> sa.Engine:
    """An engine with the settings mentionwatch relies on for each backend."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=30000")
            _use_wal(cursor)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # 64 MB of page cache per connection (the default is 2 MB): the
            # mention indexes of a large history stay in memory, which keeps
            # batched writes and the analyst queries fast past a million rows.
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)
