"""``mentionwatch history sql`` is read-only on both backends, whatever the statement tries."""

import pytest
from history_data import load

from mentionwatch.history.sql import (
    ReadOnlySQLError,
    check_statement,
    iter_readonly,
    readonly_engine,
    run_readonly,
)

WRITES = [
    "DELETE FROM mentions",
    "UPDATE mentions SET label = 'benign'",
    "DROP TABLE mentions",
    (
        "INSERT INTO dead_letters (stage, ref, error, time, payload) "
        "VALUES ('x', 'x', 'x', '2026-01-01', '')"
    ),
    "SELECT 1; DELETE FROM mentions",
    "PRAGMA query_only = OFF",
    "ATTACH DATABASE '/tmp/x.db' AS x",
    "CREATE TABLE x (a int)",
]


def test_select_runs_and_returns_columns_and_rows(store):
    load(store)
    names, rows = run_readonly(
        store.url,
        "select subject, count(*) as n from mentions where is_current "
        "group by subject order by subject;",
    )
    assert names == ["subject", "n"] and [tuple(r) for r in rows] == [
        ("Dana Reyes", 5),
        ("Sam Okafor", 2),
    ]
    names, rows = run_readonly(store.url, "SELECT url FROM items WHERE url LIKE '%tube%'")
    assert rows == [("https://tubehub.example/v/1",)]


@pytest.mark.parametrize("statement", WRITES)
def test_writes_are_refused_before_they_reach_the_database(statement):
    with pytest.raises(ReadOnlySQLError):
        check_statement(statement)


def test_the_connection_itself_cannot_write(store):
    load(store)
    engine = readonly_engine(store.url)
    try:
        for statement in (
            "DELETE FROM mentions",
            "UPDATE items SET text = ''",
            "CREATE TABLE planted (a int)",
        ):
            with engine.connect() as connection:
                if engine.dialect.name == "postgresql":
                    connection.exec_driver_sql("SET TRANSACTION READ ONLY")
                with pytest.raises(
                    Exception, match="(?i)read.?only|readonly|query_only|attempt to write"
                ):
                    connection.exec_driver_sql(statement)
    finally:
        engine.dispose()
    assert store.count("mentions") == 8


def test_a_data_modifying_cte_fails_and_changes_nothing(store):
    load(store)
    with pytest.raises(ReadOnlySQLError):
        list(
            iter_readonly(
                store.url,
                "WITH gone AS (DELETE FROM mentions RETURNING id) SELECT count(*) FROM gone",
            )
        )
    assert store.count("mentions") == 8


def test_errors_are_reported_with_the_database_message(store):
    with pytest.raises(ReadOnlySQLError, match="no_such_table|does not exist|no such table"):
        run_readonly(store.url, "SELECT * FROM no_such_table")
