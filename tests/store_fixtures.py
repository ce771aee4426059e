"""Store fixtures: every store test runs against SQLite and against a real PostgreSQL.

``store_url`` is parametrized: ``sqlite`` (a file in ``tmp_path``) and
``postgresql`` (a fresh database per test on the server named by
``MENTIONWATCH_TEST_POSTGRES_URL``, dropped afterwards). The PostgreSQL
case is marked ``integration`` and skips, saying how to get a server, when
the variable is unset; ``.ci/run`` starts one, so CI always runs it. Locally::

    eval "$(infra/local/postgres.sh start)"     # a throwaway server on 127.0.0.1
    .venv/bin/python -m pytest tests -k store
    infra/local/postgres.sh stop
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

POSTGRES_ENV = "MENTIONWATCH_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)]


def _server_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL store tests need {POSTGRES_ENV} (a server this user may create databases on); "
            'start a throwaway one with: eval "$(infra/local/postgres.sh start)"'
        )
    return url


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
