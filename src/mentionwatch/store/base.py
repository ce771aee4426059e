"""What every part of the history store shares: opening it, transactions and upserts.

``StoreBase(target)`` opens SQLite, PostgreSQL or Cloud SQL on this process's
shared engine (``engine.shared_engine``: one pool per process, however many
stores and DoFns open it) and checks the schema against the code's revision
(``migrate.ensure_current``: upgraded only where the target allows it; a
Cloud SQL store is upgraded by ``mentionwatch store upgrade`` and only
checked here). The per-concern parts (``mentions``, ``alerts``, ``outbox``,
``source_state``, ``dead_letters``) extend it with the SQL of their tables,
and ``db.HistoryStore`` joins them into the one store the rest of the code
uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mentionwatch.store import schema
from mentionwatch.store.engine import (
    StoreTarget,
    StoreUnavailable,
    release_engine,
    shared_engine,
)
from mentionwatch.store.migrate import ensure_current


class StoreBase:
    """The engine of one history store, with the statements every part builds on."""

    def __init__(
        self, store: StoreTarget | str, *, create: bool = True, upgrade: bool | None = None
    ):
        """Opens the store ``store`` names.

        Args:
          store: a ``StoreTarget`` (what jobs pass, from ``config.store.target()``)
            or an SQLAlchemy URL (``sqlite:///path`` or ``postgresql+psycopg://...``).
          create: bring the schema to the code's revision on open (see
            ``mentionwatch.store.migrate``); False skips the check entirely.
          upgrade: whether an empty or older store may be upgraded on open;
            None follows the target's ``auto_upgrade`` (for a URL:
            ``MENTIONWATCH_STORE_AUTO_UPGRADE``, default yes). When it may
            not, opening raises ``StoreSchemaError`` naming the command to run.
        """
        self.target = StoreTarget.of(store)
        self.url = self.target.url  # None for Cloud SQL; display() names it in messages
        self.engine = shared_engine(self.target)
        self._open = True
        if create:
            try:
                self.create_schema(upgrade=upgrade)
            except BaseException:
                self.close()
                raise

    def create_schema(self, *, upgrade: bool | None = None) -> None:
        """Brings the store to the head schema revision (a no-op when it is there)."""
        allowed = self.target.auto_upgrade if upgrade is None else upgrade
        ensure_current(self.engine, upgrade_allowed=allowed, name=self.target.display())

    def _safe_url(self) -> str:
        return self.target.display()

    def close(self) -> None:
        """Gives this store's share of the process's engine back (the last one disposes it).

        Closing twice is harmless; other stores on the same engine keep working.
        """
        if getattr(self, "_open", False):
            self._open = False
            release_engine(self.target)

    def __reduce__(self):
        """Pickles as its target only: a store reopens where it is unpickled, without a check.

        Nothing of the engine (a password, a login) is ever in the bytes.
        """
        return (_reopen, (type(self), self.target))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """One transaction; an unreachable or locked store raises ``StoreUnavailable``."""
        try:
            with self.engine.begin() as connection:
                yield connection
        except sa.exc.OperationalError as exc:
            raise StoreUnavailable(
                f"history store {self._safe_url()} unavailable: {exc.orig}"
            ) from None

    def insert(self, table: sa.Table):
        """The dialect's INSERT (SQLite or PostgreSQL), which supports ON CONFLICT."""
        return {"sqlite": sqlite.insert, "postgresql": postgresql.insert}[self.engine.dialect.name](
            table
        )

    def upsert_statement(self, table: sa.Table, keys: Sequence[str], update: Sequence[str] = ()):
        """INSERT ... ON CONFLICT (keys) DO UPDATE (the ``update`` columns) or DO NOTHING."""
        statement = self.insert(table)
        if update:
            return statement.on_conflict_do_update(
                index_elements=list(keys), set_={c: statement.excluded[c] for c in update}
            )
        return statement.on_conflict_do_nothing(index_elements=list(keys))

    def upsert(
        self,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        keys: Sequence[str],
        update: Sequence[str] = (),
    ) -> None:
        """Upserts ``rows`` in one transaction (``upsert_statement``); no rows, no transaction."""
        if not rows:
            return
        with self.transaction() as connection:
            connection.execute(self.upsert_statement(table, keys, update), list(rows))

    def count(self, table: str, **where: Any) -> int:
        """Rows of the table named ``table`` whose columns equal the ``where`` values."""
        t = schema.metadata.tables[table]
        statement = sa.select(sa.func.count()).select_from(t)
        for column, value in where.items():
            statement = statement.where(t.c[column] == value)
        with self.engine.connect() as connection:
            return int(connection.execute(statement).scalar_one())


def _reopen(cls: type, target: StoreTarget):
    return cls(target, create=False)
