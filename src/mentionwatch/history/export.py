"""Writers for history records: an aligned table, CSV, JSON lines, Parquet.

Every writer streams (rows are never all held in memory, except by the table,
which is for a screenful). Times are ISO-8601 UTC in text formats and
``timestamp[us, UTC]`` in Parquet; nested values are JSON text in CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

from mentionwatch.history.timespec import iso

FORMATS = ("table", "csv", "jsonl", "parquet")

# Parquet types of the history columns; anything else is written as text.
_PARQUET_TYPES = {
    "score": "float64",
    "is_current": "bool",
    "occurred_at": "timestamp",
    "classified_at": "timestamp",
    "published_at": "timestamp",
}
# What the table shows (the other columns are in every file format).
TABLE_COLUMNS = (
    "occurred_at",
    "subject",
    "label",
    "harassment_type",
    "severity",
    "score",
    "source",
    "domain",
    "alert_id",
    "delivery",
    "content",
)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return iso(value) or ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return value


def write_records(
    records: Iterable[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: str,
    out: IO[str] | str | None = None,
    *,
    table_columns: Sequence[str] | None = None,
) -> int:
    """Writes ``records`` in ``fmt`` to ``out`` (a stream, a path, or stdout); returns the count.

    Parquet needs a path.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if not isinstance(out, str):
            raise ValueError("parquet output needs a file: --out FILE.parquet")
        return write_parquet(records, columns, out)
    if isinstance(out, str):
        with open(out, "w", encoding="utf-8", newline="") as handle:
            return write_records(records, columns, fmt, handle, table_columns=table_columns)
    stream = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(columns)
        count = 0
        for record in records:
            writer.writerow([_text(record.get(c)) for c in columns])
            count += 1
        return count
    if fmt == "jsonl":
        count = 0
        for record in records:
            stream.write(
                json.dumps({c: _jsonable(record.get(c)) for c in columns}, ensure_ascii=False)
                + "\n"
            )
            count += 1
        return count
    return write_table(list(records), table_columns or columns, stream)


def write_table(
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    stream: IO[str],
    *,
    width: int = 64,
) -> int:
    """An aligned plain-text table; long cells are cut to ``width`` characters."""
    cells = [[_text(record.get(c)) for c in columns] for record in records]
    cells = [[v if len(v) <= width else v[: width - 1] + "…" for v in row] for row in cells]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    stream.write(
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n"
    )
    stream.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        stream.write(
            "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() + "\n"
        )
    stream.write(f"({len(records)} row{'s' if len(records) != 1 else ''})\n")
    return len(records)


def write_parquet(
    records: Iterable[Mapping[str, Any]], columns: Sequence[str], path: str, *, batch: int = 50_000
) -> int:
    """Writes Parquet in row groups of ``batch`` records, with typed columns."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = []
    for name in columns:
        kind = _PARQUET_TYPES.get(name, "string")
        fields.append(
            pa.field(
                name,
                {
                    "float64": pa.float64(),
                    "bool": pa.bool_(),
                    "timestamp": pa.timestamp("us", tz="UTC"),
                }.get(kind, pa.string()),
            )
        )
    schema = pa.schema(fields)

    def convert(name: str, value: Any) -> Any:
        kind = _PARQUET_TYPES.get(name, "string")
        if value is None or kind != "string":
            return value
        return _text(value)

    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        chunk: list[Mapping[str, Any]] = []

        def flush():
            if chunk:
                arrays = [
                    pa.array([convert(c, r.get(c)) for r in chunk], type=schema.field(c).type)
                    for c in columns
                ]
                writer.write_batch(pa.record_batch(arrays, schema=schema))
                chunk.clear()

        for record in records:
            chunk.append(record)
            count += 1
            if len(chunk) >= batch:
                flush()
        flush()
    return count


def rows_to_records(
    columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> Iterable[dict[str, Any]]:
    """Plain rows (from ``history sql``) as records."""
    for row in rows:
        yield dict(zip(columns, row, strict=True))


def write_sql_parquet(columns: Sequence[str], rows: Iterable[Sequence[Any]], path: str) -> int:
    """Parquet for an arbitrary query: column types inferred from the values."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = _unique(columns)
    data = [
        [
            _jsonable(v)
            if isinstance(v, (dt.date, dt.time)) and not isinstance(v, dt.datetime)
            else v
            for v in row
        ]
        for row in rows
    ]
    table = pa.table({name: [row[i] for row in data] for i, name in enumerate(names)})
    pq.write_table(table, path, compression="zstd")
    return len(data)


def _unique(columns: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for column in columns:
        count = seen.get(column, 0)
        seen[column] = count + 1
        names.append(column if not count else f"{column}_{count}")
    return names
