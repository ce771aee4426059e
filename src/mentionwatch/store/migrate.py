"""Schema migrations: bring a history store to the code's schema, or say how.

The schema is versioned with Alembic (revisions in ``store/migrations``).
``HistoryStore`` calls ``ensure_current`` when it opens a store (one query when
the store is current, on the process's shared engine):

* at the head revision: nothing to do (one query);
* empty, older, or created before migrations existed: upgraded to head, under a
  lock, so Beam workers opening a fresh store at the same time migrate it once
  (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory
  lock; both run the whole upgrade in one transaction, so a failed upgrade
  leaves the store as it was);
* with automatic upgrades turned off (``MENTIONWATCH_STORE_AUTO_UPGRADE=0``,
  ``store.auto_upgrade: false``, or a ``store.cloud_sql`` store, whose schema
  changes are deployed deliberately: the deploy step runs the upgrade once and
  Dataflow workers only check): ``StoreSchemaError`` naming the command to run,
  ``mentionwatch store upgrade CONFIG``;
* at a revision this code does not know (written by a newer mentionwatch):
  ``StoreSchemaError``; nothing is touched.

Stores created before migrations existed (``metadata.create_all``) are
adopted: the first revision creates only what is missing.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mentionwatch.store import schema
from mentionwatch.store.engine import StoreSchemaError, StoreUnavailable, make_engine

SCRIPT_LOCATION = "mentionwatch.store:migrations"
UPGRADE_COMMAND = "mentionwatch store upgrade CONFIG"
# pg_advisory_xact_lock key: "mwhs" (mentionwatch history store) as an int.
_PG_LOCK_KEY = 0x6D776873


def alembic_config(connection: sa.Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config for the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision among the packaged migrations (what the code needs)."""
    return _script().get_current_head()


def known_revisions() -> frozenset[str]:
    """Every revision of the packaged migrations."""
    return frozenset(rev.revision for rev in _script().walk_revisions())


def auto_upgrade_enabled() -> bool:
    """False when ``MENTIONWATCH_STORE_AUTO_UPGRADE`` is 0/false/no/off."""
    return os.environ.get("MENTIONWATCH_STORE_AUTO_UPGRADE", "1").strip().lower() not in (
        "0",
        "false",
        "no",
        "off",
    )


def _in_memory(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def migration_engine(url: str) -> sa.Engine:
    """An engine whose transactions lock an SQLite store for a migration.

    For SQLite, pysqlite's implicit transaction handling is turned off so the
    DDL runs inside our own ``BEGIN IMMEDIATE`` (which takes the write lock
    before the version is read: a second process waits, then finds the store
    already upgraded).
    """
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextlib.contextmanager
def _locked(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK_KEY})")
        yield connection


def current_revision(connection: sa.Connection) -> str | None:
    """The store's schema revision; None when it has none (empty, or made before migrations)."""
    return MigrationContext.configure(connection).get_current_revision()


def _check_known(revision: str | None, where: str) -> None:
    if revision is not None and revision not in known_revisions():
        raise StoreSchemaError(
            f"the history store {where} is at schema revision {revision!r}, which this "
            "mentionwatch does not know (it was written by a newer version; this one's head is "
            f"{head_revision()!r}). Upgrade mentionwatch; nothing was changed."
        )


def _safe(engine: sa.Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def upgrade(engine: sa.Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrades the store behind ``engine`` to ``revision``; returns (before, after)."""
    return _migrate(engine, command.upgrade, revision)


def downgrade(engine: sa.Engine, revision: str) -> tuple[str | None, str | None]:
    """Downgrades (tests and emergencies; data in dropped tables and columns is lost)."""
    return _migrate(engine, command.downgrade, revision)


def _migrate(engine: sa.Engine, action, revision: str) -> tuple[str | None, str | None]:
    # SQLite needs its own engine for BEGIN IMMEDIATE; PostgreSQL's advisory lock works on any
    # connection (and a Cloud SQL engine's URL cannot be reopened: it connects through a creator).
    own = (
        migration_engine(engine.url.render_as_string(hide_password=False))
        if engine.dialect.name == "sqlite" and not _in_memory(engine)
        else None
    )
    try:
        with _locked(own or engine) as connection:
            before = current_revision(connection)
            _check_known(before, _safe(engine))
            action(alembic_config(connection), revision)
            after = current_revision(connection)
    except sa.exc.OperationalError as exc:
        raise StoreUnavailable(
            f"cannot migrate the history store {_safe(engine)}: {exc.orig}"
        ) from None
    finally:
        if own is not None:
            own.dispose()
    return before, after


def ensure_current(
    engine: sa.Engine, *, upgrade_allowed: bool | None = None, name: str | None = None
) -> None:
    """Makes sure the store is at the head revision (see the module docstring).

    ``name`` is how messages name the store (default: the engine's URL without
    its password; a Cloud SQL engine's URL does not say which instance).
    """
    where = name or _safe(engine)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
    except sa.exc.OperationalError as exc:
        raise StoreUnavailable(f"cannot open the history store {where}: {exc.orig}") from None
    head = head_revision()
    if revision == head:
        return
    _check_known(revision, where)
    allowed = auto_upgrade_enabled() if upgrade_allowed is None else upgrade_allowed
    if not allowed:
        state = "has no schema yet" if revision is None else f"is at schema revision {revision!r}"
        raise StoreSchemaError(
            f"the history store {where} {state}; this mentionwatch needs {head!r}. "
            f"Run: {UPGRADE_COMMAND}"
        )
    upgrade(engine)


def differences(engine: sa.Engine) -> list:
    """What differs between the database and ``schema.metadata`` (empty: in step)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, schema.metadata)
