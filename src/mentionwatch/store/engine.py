"""Connecting to the history store: what names a store, its engines, and an unusable store.

``StoreTarget`` is what jobs hand their transforms instead of a URL: plain,
frozen and picklable, with the *references* to secrets (an environment
variable's name, a ``secret://`` reference) and never their values. The
engine is made from it on the machine that uses it (a worker's
``DoFn.setup()``), where the password or the Cloud SQL login is obtained.

``make_engine(target)`` gives each backend the settings mentionwatch relies on:

* SQLite: a busy timeout and the WAL journal (several worker processes write
  at once); SQLAlchemy's default pool.
* PostgreSQL by URL: a pre-ping pool of ``pool_size`` + ``max_overflow``
  connections, the password read from ``target.password``.
* Cloud SQL: the Cloud SQL Python Connector (pg8000) with IAM database
  authentication over the instance's private IP, as the SQLAlchemy
  ``creator``; the same pool limits.

``shared_engine(target)`` / ``release_engine(target)`` keep **one engine per
process and target**, counted by users: every ``HistoryStore`` (and so every
store-using DoFn) of a worker process shares one pool, so a process never
holds more than ``pool_size + max_overflow`` PostgreSQL connections, and
closing one DoFn's store never disposes the engine under another. The last
user's release disposes it.

``store.base`` (under every part of ``HistoryStore``) and ``store.migrate``
build on this module, which imports neither.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from mentionwatch import secretref

CLOUD_SQL_DRIVER = "pg8000"
_IP_TYPES = {"private": "PRIVATE", "public": "PUBLIC", "psc": "PSC"}


class StoreUnavailable(RuntimeError):
    """The store cannot be reached right now; retrying later may succeed."""


class StoreSchemaError(StoreUnavailable):
    """The store's schema is not the one this code needs, and was not changed.

    A subclass of ``StoreUnavailable`` so every entry point that reports an
    unusable store (preflight, the CLI) reports this too; the message names
    the command that fixes it.
    """


@dataclasses.dataclass(frozen=True)
class CloudSqlTarget:
    """A Cloud SQL for PostgreSQL instance (see ``config.store.CloudSql``).

    Attributes:
      instance: ``PROJECT:REGION:INSTANCE``.
      database: the database name.
      iam_user: the IAM database user (a service account without
        ``.gserviceaccount.com``).
      ip_type: ``private``, ``public`` or ``psc``.
    """

    instance: str
    database: str
    iam_user: str
    ip_type: str = "private"


@dataclasses.dataclass(frozen=True)
class StoreTarget:
    """Which history store to open and how; safe to pickle into a job graph.

    Attributes:
      url: an SQLAlchemy URL (SQLite or PostgreSQL); None with ``cloud_sql``.
      cloud_sql: the Cloud SQL instance, reached with the connector.
      password: for a PostgreSQL ``url``: an environment variable's name or
        a ``secret://`` reference, read when the engine is made.
      pool_size: PostgreSQL connections kept per process.
      max_overflow: extra PostgreSQL connections a process may open when busy.
      pool_timeout_s: seconds a thread waits for a free connection.
      auto_upgrade: whether opening may migrate the schema; None follows
        ``MENTIONWATCH_STORE_AUTO_UPGRADE`` (default yes).
    """

    url: str | None = None
    cloud_sql: CloudSqlTarget | None = None
    password: str | None = None
    pool_size: int = 2
    max_overflow: int = 3
    pool_timeout_s: float = 30.0
    auto_upgrade: bool | None = None

    def __post_init__(self):
        """Checks that exactly one of ``url`` and ``cloud_sql`` is set."""
        if (self.url is None) == (self.cloud_sql is None):
            raise ValueError("a store target needs exactly one of url and cloud_sql")

    @classmethod
    def of(cls, store: StoreTarget | str) -> StoreTarget:
        """``store`` itself, or a target for the URL ``store`` with the default settings."""
        return store if isinstance(store, StoreTarget) else cls(url=store)

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql`` (Cloud SQL is PostgreSQL)."""
        if self.url is None:
            return "postgresql"
        return sa.engine.make_url(self.url).get_backend_name()

    @property
    def max_connections(self) -> int:
        """The most PostgreSQL connections one process opens to this store."""
        return self.pool_size + self.max_overflow

    def display(self) -> str:
        """The store for messages and logs: no password, ever."""
        if self.cloud_sql is not None:
            c = self.cloud_sql
            return f"cloudsql://{c.iam_user}@{c.instance}/{c.database}"
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)


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


def _sqlite_engine(url: str) -> sa.Engine:
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


def _pool_args(target: StoreTarget) -> dict[str, Any]:
    return {
        "pool_pre_ping": True,
        "pool_size": target.pool_size,
        "max_overflow": target.max_overflow,
        "pool_timeout": target.pool_timeout_s,
        # Cloud SQL and proxies drop idle connections; recycle before they do.
        "pool_recycle": 1800,
    }


def _application_name() -> str:
    # Who holds a connection, in pg_stat_activity: one name per process.
    return f"mentionwatch-{os.getpid()}"


def _postgres_engine(target: StoreTarget) -> sa.Engine:
    url = sa.engine.make_url(target.url)
    if target.password is not None:
        try:
            password = secretref.resolve(target.password, os.environ)
        except secretref.SecretUnavailable as exc:
            raise StoreUnavailable(f"store.password: {exc}") from None
        if not password:
            raise StoreUnavailable(
                f"store.password names the environment variable {target.password}, which is "
                "not set on this machine"
            )
        url = url.set(password=password)
    connect_args = {}
    if "application_name" not in url.query:
        connect_args["application_name"] = _application_name()
    return sa.create_engine(url, connect_args=connect_args, **_pool_args(target))


def default_connector(**kwargs: Any) -> Any:
    """A Cloud SQL Python Connector (``google.cloud.sql.connector.Connector``).

    Raises:
      StoreUnavailable: the connector is not installed (``pip install 'mentionwatch[gcp]'``).
    """
    try:
        from google.cloud.sql.connector import Connector
    except ImportError:
        raise StoreUnavailable(
            "store.cloud_sql needs the Cloud SQL Python Connector: "
            "pip install 'mentionwatch[gcp]' (cloud-sql-python-connector[pg8000])"
        ) from None
    return Connector(**kwargs)


def _cloud_sql_engine(target: StoreTarget, connector_factory: Callable[..., Any]) -> sa.Engine:
    """An engine whose connections come from the connector, logged in with IAM.

    The connector is made here (on the worker) and closed when the engine is
    disposed through ``dispose_engine`` or garbage-collected.
    """
    cloud = target.cloud_sql
    ip_type = _IP_TYPES[cloud.ip_type]
    connector = connector_factory(ip_type=ip_type, enable_iam_auth=True, refresh_strategy="lazy")
    name = _application_name()

    def connect():
        return connector.connect(
            cloud.instance,
            CLOUD_SQL_DRIVER,
            user=cloud.iam_user,
            db=cloud.database,
            enable_iam_auth=True,
            ip_type=ip_type,
            application_name=name,
        )

    engine = sa.create_engine(
        f"postgresql+{CLOUD_SQL_DRIVER}://", creator=connect, **_pool_args(target)
    )
    _closers[engine] = weakref.finalize(engine, connector.close)
    return engine


_closers: weakref.WeakKeyDictionary[sa.Engine, weakref.finalize] = weakref.WeakKeyDictionary()


def make_engine(
    store: StoreTarget | str, *, connector_factory: Callable[..., Any] | None = None
) -> sa.Engine:
    """A new engine for ``store`` with the settings mentionwatch relies on for its backend.

    Prefer ``shared_engine`` in anything that may run more than once per
    process; dispose an engine from here with ``dispose_engine``.

    Raises:
      StoreUnavailable: the password cannot be read, or the connector is missing.
    """
    target = StoreTarget.of(store)
    if target.cloud_sql is not None:
        return _cloud_sql_engine(target, connector_factory or default_connector)
    if target.backend == "sqlite":
        return _sqlite_engine(target.url)
    return _postgres_engine(target)


def dispose_engine(engine: sa.Engine) -> None:
    """Closes the engine's pooled connections and its Cloud SQL connector, if any."""
    engine.dispose()
    closer = _closers.pop(engine, None)
    if closer is not None:
        closer()


@dataclasses.dataclass
class _Shared:
    engine: sa.Engine
    users: int = 0


_shared: dict[StoreTarget, _Shared] = {}
_shared_lock = threading.Lock()


def shared_engine(
    store: StoreTarget | str, *, connector_factory: Callable[..., Any] | None = None
) -> sa.Engine:
    """This process's engine for ``store``, made on first use; pair with ``release_engine``.

    Every caller with an equal target gets the same engine (one pool per
    process), whatever thread it runs on.

    Raises:
      StoreUnavailable: the engine cannot be made (see ``make_engine``).
    """
    target = StoreTarget.of(store)
    with _shared_lock:
        entry = _shared.get(target)
        if entry is None:
            entry = _shared[target] = _Shared(
                make_engine(target, connector_factory=connector_factory)
            )
        entry.users += 1
        return entry.engine


def release_engine(store: StoreTarget | str) -> None:
    """One user is done with the shared engine; the last one disposes it."""
    target = StoreTarget.of(store)
    with _shared_lock:
        entry = _shared.get(target)
        if entry is None:
            return
        entry.users -= 1
        if entry.users > 0:
            return
        del _shared[target]
    dispose_engine(entry.engine)


def shared_users(store: StoreTarget | str) -> int:
    """How many open stores of this process use the shared engine for ``store`` (0: none)."""
    with _shared_lock:
        entry = _shared.get(StoreTarget.of(store))
        return 0 if entry is None else entry.users
