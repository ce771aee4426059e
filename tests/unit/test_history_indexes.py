"""Every report query and every history filter reads ``mentions`` through an index (EXPLAIN).

SQLite's plan is checked as it is; on PostgreSQL sequential scans are
disabled for the check (a tiny test table is cheaper to scan, so the planner
would rightly scan it), which asks "can an index serve this query" rather
than "is it cheaper here". ``benchmarks/history.py --explain`` prints the
plans on a million mentions, where both planners pick the indexes freely.
"""

import datetime as dt

import pytest
from history_data import T0, load

from mentionwatch.history.explain import explain, uses_index
from mentionwatch.history.query import HistoryFilter, select_mentions
from mentionwatch.report.queries import Window, report_statements

WINDOW = Window(T0, T0 + dt.timedelta(days=30), ("Dana Reyes", "Sam Okafor"))
TABLE_OF = {
    "pile-on alerts": "alerts",
    "alerts by status": "alerts",
    "dead letters by stage": "dead_letters",
}


def plan(store, statement):
    with store.engine.connect() as connection:
        if store.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("SET enable_seqscan = off")
        return explain(connection, statement)


@pytest.mark.parametrize("name", list(report_statements("sqlite", WINDOW)))
def test_report_queries_use_indexes(store, name):
    load(store)
    statement = report_statements(store.engine.dialect.name, WINDOW)[name]
    lines = plan(store, statement)
    assert uses_index(lines, TABLE_OF.get(name, "mentions")), "\n".join(lines)


FILTERS = {
    "none (newest first)": HistoryFilter(limit=100),
    "subject": HistoryFilter(subjects=("Dana Reyes",)),
    "label": HistoryFilter(labels=("harassment",)),
    "type": HistoryFilter(types=("threat",)),
    "source": HistoryFilter(sources=("Corner Forum",)),
    "domain": HistoryFilter(domains=("tubehub.example",)),
    "time range": HistoryFilter(since=T0, until=T0 + dt.timedelta(days=3)),
    "text within a subject": HistoryFilter(subjects=("Dana Reyes",), text="video"),
    "model version": HistoryFilter(model_version="2", since=T0),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_history_filters_use_indexes(store, name):
    load(store)
    lines = plan(store, select_mentions(FILTERS[name]))
    assert uses_index(lines, "mentions"), "\n".join(lines)
