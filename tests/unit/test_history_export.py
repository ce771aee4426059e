"""Every output format of ``mentionwatch history``: table, CSV, JSON lines, Parquet (and from
``history sql``)."""

import csv
import datetime as dt
import io
import json

import pyarrow.parquet as pq
import pytest
from history_data import load

from mentionwatch.history import export
from mentionwatch.history.query import COLUMNS, HistoryFilter, columns, iter_mentions
from mentionwatch.history.sql import run_readonly


@pytest.fixture
def records(store):
    load(store)
    return list(iter_mentions(store.engine, HistoryFilter()))


def test_csv_has_a_header_and_iso_times(records):
    out = io.StringIO()
    assert export.write_records(records, COLUMNS, "csv", out) == 7
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == list(COLUMNS) and len(rows) == 7
    threat = next(r for r in rows if r["harassment_type"] == "threat")
    assert threat["occurred_at"] == "2026-11-02T00:00:00Z" and threat["is_current"] == "True"
    assert threat["content"].startswith("[content hidden") and "hurt" not in out.getvalue()


def test_json_lines_round_trip(records):
    out = io.StringIO()
    export.write_records(records, COLUMNS, "jsonl", out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(lines) == 7 and set(lines[0]) == set(COLUMNS)
    assert {line["item_id"]: line["score"] for line in lines}["it_a"] == pytest.approx(0.9)
    assert all(line["occurred_at"].endswith("Z") for line in lines)


def test_table_is_aligned_and_counted(records):
    out = io.StringIO()
    export.write_records(records, COLUMNS, "table", out, table_columns=export.TABLE_COLUMNS)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == list(export.TABLE_COLUMNS) and set(lines[1]) <= {"-", " "}
    assert lines[-1] == "(7 rows)" and len(lines) == 10


def test_parquet_has_typed_columns_and_every_row(records, tmp_path):
    path = str(tmp_path / "history.parquet")
    assert export.write_records(records, columns(True), "parquet", path) == 7
    table = pq.read_table(path)
    assert table.num_rows == 7 and table.column_names == list(columns(True))
    assert str(table.schema.field("occurred_at").type) == "timestamp[us, tz=UTC]"
    assert (
        str(table.schema.field("score").type) == "double"
        and str(table.schema.field("is_current").type) == "bool"
    )
    rows = {r["item_id"]: r for r in table.to_pylist()}
    assert rows["it_a"]["occurred_at"] == dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    assert rows["it_f"]["published_at"] is None


def test_parquet_needs_a_file(records):
    with pytest.raises(ValueError, match="--out"):
        export.write_records(records, COLUMNS, "parquet", io.StringIO())


def test_sql_results_in_every_format(store, tmp_path):
    load(store)
    names, rows = run_readonly(
        store.url,
        "SELECT label, count(*) AS n FROM mentions WHERE is_current GROUP BY label ORDER BY label",
    )
    assert names == ["label", "n"] and [(r[0], int(r[1])) for r in rows] == [
        ("benign", 3),
        ("harassment", 2),
        ("re_promotion", 2),
    ]
    out = io.StringIO()
    export.write_records(export.rows_to_records(names, rows), names, "csv", out)
    assert out.getvalue().splitlines()[1] == "benign,3"
    path = str(tmp_path / "sql.parquet")
    assert export.write_sql_parquet(names, rows, path) == 3
    assert pq.read_table(path).to_pylist()[0] == {"label": "benign", "n": 3}
