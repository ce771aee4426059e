"""The database's plan for a query, as text lines (tests and the benchmark check index use).

``explain(connection, statement)`` runs ``EXPLAIN QUERY PLAN`` (SQLite) or
``EXPLAIN`` (PostgreSQL) on exactly the SQL and parameters SQLAlchemy would
send for ``statement``.
"""

from __future__ import annotations

import sqlalchemy as sa

_OPTION = "mentionwatch_explain"


def _prefix(conn, cursor, statement, parameters, context, executemany):
    if context is not None and context.execution_options.get(_OPTION):
        keyword = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
        statement = keyword + statement
    return statement, parameters


def explain(connection: sa.Connection, statement: sa.Executable) -> list[str]:
    """The plan's lines (SQLite: each node's detail; PostgreSQL: the EXPLAIN text)."""
    engine = connection.engine
    if not sa.event.contains(engine, "before_cursor_execute", _prefix):
        sa.event.listen(engine, "before_cursor_execute", _prefix, retval=True)
    result = connection.execution_options(**{_OPTION: True}).execute(statement)
    rows = result.cursor.fetchall()
    result.close()
    if connection.dialect.name == "sqlite":
        return [str(row[-1]) for row in rows]
    return [str(row[0]) for row in rows]


def uses_index(plan: list[str], table: str) -> bool:
    """True when every access to ``table`` in the plan goes through an index."""
    text = "\n".join(plan)
    if "SQLite" in text:  # pragma: no cover - never in a plan; keeps the two branches symmetric
        return False
    sqlite_scan = any(
        line.strip().startswith(f"SCAN {table}") and "INDEX" not in line for line in plan
    )
    sqlite_search = any(
        line.strip().startswith((f"SEARCH {table}", f"SCAN {table} USING")) for line in plan
    )
    postgres_seq = f"Seq Scan on {table}" in text
    postgres_index = any(f"on {table}" in line and "Index" in line for line in plan) or (
        f"Bitmap Heap Scan on {table}" in text and "Bitmap Index Scan" in text
    )
    return not sqlite_scan and not postgres_seq and (sqlite_search or postgres_index)
