"""Store fixtures: every store test runs against SQLite and against a real PostgreSQL.

``store_url`` is parametrized: ``sqlite`` (a file in ``tmp_path``) and
``postgresql`` (a fresh database per test on the server named by
``MENTIONWATCH_TEST_POSTGRES_URL``, dropped afterwards). The PostgreSQL
case is marked ``integration``. When the variable is unset, the first test
that needs PostgreSQL starts a throwaway server on 127.0.0.1 for the whole
session (``mentionwatch.store.localpg``, Debian's ``postgresql`` binaries)
and stops it at the end; when that cannot start, the test **fails** saying
what to install: the README's test command runs every store test or says
why it cannot, never skips them quietly. ``MENTIONWATCH_TEST_POSTGRES=skip``
skips them on purpose (a machine without PostgreSQL, by choice). A server of
your own::

    eval "$(infra/local/postgres.sh start)"     # a throwaway server on 127.0.0.1
    .venv/bin/python -m pytest tests -k store
    infra/local/postgres.sh stop
"""

from __future__ import annotations

import atexit
import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

POSTGRES_ENV = "MENTIONWATCH_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


_session_server: list = []  # the throwaway server this session started, if any


def _server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    if os.environ.get("MENTIONWATCH_TEST_POSTGRES") == "skip":
        pytest.skip("PostgreSQL store tests skipped on purpose (MENTIONWATCH_TEST_POSTGRES=skip)")
    if not _session_server:
        from mentionwatch.store.localpg import LocalPostgres, LocalPostgresError

        server = LocalPostgres()
        try:
            server.start()
        except LocalPostgresError as exc:
            pytest.fail(
                f"PostgreSQL store tests need a server and none could be started: {exc}. "
                "Install Debian's postgresql package, "
                f"or set {POSTGRES_ENV} to a server this user may create databases on "
                "(MENTIONWATCH_TEST_POSTGRES=skip skips them on purpose)",
                pytrace=False,
            )
        atexit.register(server.stop)
        _session_server.append(server)
    return _session_server[0].url()


@contextlib.contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the test server (dropped on exit); skips without a server."""
    server = sa.engine.make_url(_server_url())
    name = f"mw_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped after it)."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request, tmp_path) -> str:
    """An empty store on each backend: ``sqlite:///...`` or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/history.db"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url):
    from mentionwatch.store import HistoryStore

    opened = HistoryStore(store_url)
    yield opened
    opened.close()
