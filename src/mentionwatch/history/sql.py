"""``mentionwatch history sql``: an analyst's own SELECT, and nothing else.

Three layers keep it read-only, any one of which is enough on its own:

1. the statement must be one statement starting with SELECT, WITH, EXPLAIN,
   VALUES or TABLE (a ``;`` may only end it);
2. the connection cannot write: SQLite is opened read-only
   (``mode=ro``) with ``PRAGMA query_only``; PostgreSQL sessions start with
   ``default_transaction_read_only`` and the statement runs inside
   ``SET TRANSACTION READ ONLY``;
3. statements time out after ``timeout_s`` (PostgreSQL: ``statement_timeout``;
   SQLite: a progress handler interrupts the query), so a runaway cross
   join or recursive CTE stops with an error instead of running forever.

Any attempt to change something fails with ``ReadOnlySQLError`` and the
database's own message.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa

_ALLOWED = re.compile(r"^\s*(select|with|explain|values|table)\b", re.IGNORECASE)
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


class ReadOnlySQLError(ValueError):
    """The statement is not a single read-only query, or the database refused it."""


def check_statement(sql: str) -> str:
    """The statement without a trailing ``;``; raises ``ReadOnlySQLError`` if it is not allowed."""
    statement = sql.strip().rstrip(";").strip()
    bare = _STRING_OR_COMMENT.sub(" ", statement)
    if not _ALLOWED.match(bare):
        raise ReadOnlySQLError(
            "history sql runs read-only queries only: start with SELECT, WITH, EXPLAIN, VALUES "
            "or TABLE"
        )
    if ";" in bare:
        raise ReadOnlySQLError("history sql runs one statement at a time (a ';' may only end it)")
    return statement


def readonly_engine(url: str, *, timeout_s: float = 120.0) -> sa.Engine:
    """An engine for ``url`` that cannot write (see the module docstring)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if not path or path == ":memory:":
            raise ReadOnlySQLError("history sql needs a database file (not an in-memory SQLite)")
        engine = sa.create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true", connect_args={"timeout": 30}
        )

        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA query_only = ON")
            cursor.close()

        return engine
    options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_s * 1000)}"
    return sa.create_engine(url, connect_args={"options": options})


def run_readonly(
    url: str, sql: str, *, limit: int | None = None
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Runs one read-only statement; returns (column names, rows), at most ``limit`` rows."""
    columns, rows = [], []
    for index, item in enumerate(iter_readonly(url, sql)):
        if index == 0:
            columns = list(item)
            continue
        if limit is not None and len(rows) >= limit:
            break
        rows.append(item)
    return columns, rows


def iter_readonly(url: str, sql: str, *, timeout_s: float = 120.0) -> Iterator[Sequence[Any]]:
    """Yields the column names, then each row (streamed: stop iterating and the query stops)."""
    statement = check_statement(sql)
    engine = readonly_engine(url, timeout_s=timeout_s)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            else:
                deadline = time.monotonic() + timeout_s
                # Called every 10,000 SQLite VM steps; a non-zero answer interrupts the query.
                connection.connection.driver_connection.set_progress_handler(
                    lambda: int(time.monotonic() > deadline), 10_000
                )
            try:
                result = connection.execution_options(yield_per=2000).exec_driver_sql(
                    _escape_percent(engine, statement)
                )
                if not result.returns_rows:
                    raise ReadOnlySQLError(
                        "the statement returned no rows (history sql is for queries)"
                    )
                yield list(result.keys())
                for row in result:
                    yield tuple(row)
            except sa.exc.DBAPIError as exc:
                raise ReadOnlySQLError(_reason(exc, timeout_s)) from None
    finally:
        engine.dispose()


def _reason(exc: sa.exc.DBAPIError, timeout_s: float) -> str:
    message = (
        str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    )
    if "interrupted" in message or "statement timeout" in message:
        return f"the query ran longer than {timeout_s:g} s and was stopped ({message})"
    return message


def _escape_percent(engine: sa.Engine, statement: str) -> str:
    # psycopg reads %s placeholders in a statement sent with parameters;
    # SQLAlchemy sends an empty parameter set, so a literal % must be doubled.
    return statement.replace("%", "%%") if engine.dialect.name == "postgresql" else statement
