"""``mentionwatch history`` and ``history sql``: the mention history, filtered or by SQL.

The queries and writers live in ``mentionwatch.history`` (``query``, ``sql``,
``export``); docs/history.md has examples of every option.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import sys
from collections.abc import Sequence

from mentionwatch.cli.common import (
    open_existing_store,
    parse_time_option,
    plain_url,
    split_values,
    store_url,
)
from mentionwatch.command import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, CommandError
from mentionwatch.records import HARASSMENT_TYPES, LABELS, SEVERITIES

FORMATS = ("table", "csv", "jsonl", "parquet")


def cmd_history(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Prints or writes the mentions, or after ``sql`` the query's rows; a closed pipe is exit 0."""
    try:
        return _history(args, extra)
    except BrokenPipeError:  # `mentionwatch history ... | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


def _checked(values: tuple[str, ...], allowed: Sequence[str], option: str) -> tuple[str, ...]:
    for value in values:
        if value not in allowed:
            raise CommandError(f"{option} {value!r}: use one of {', '.join(allowed)}", EXIT_CONFIG)
    return values


def _history(args: argparse.Namespace, extra: Sequence[str]) -> int:
    from mentionwatch.history import export
    from mentionwatch.history.query import HistoryFilter, columns, iter_mentions

    # argparse stops collecting positionals at the first option, so words after
    # an option (history sql --store URL "SELECT ...") arrive as extras.
    unknown = [e for e in extra if e.startswith("-")]
    if unknown:
        raise CommandError(f"unrecognized arguments: {' '.join(unknown)}", EXIT_CONFIG)
    words = list(args.words) + list(extra)
    if words and words[0] == "sql":
        return _history_sql(args, words[1:])
    if len(words) > 1:
        raise CommandError(
            f"unexpected arguments {' '.join(words[1:])!r}; for SQL use: "
            'mentionwatch history sql CONFIG "SELECT ..."',
            EXIT_CONFIG,
        )
    url, _loaded = store_url(args, words[0] if words else None)
    now = dt.datetime.now(dt.UTC)
    labels = _checked(split_values(args.label), LABELS, "--label")
    types = _checked(split_values(args.type), HARASSMENT_TYPES, "--type")
    if args.format == "parquet" and not args.out:
        raise CommandError("--format parquet needs --out FILE.parquet", EXIT_CONFIG)
    limit = (
        args.limit
        if args.limit is not None
        else (100 if args.format == "table" and not args.out else None)
    )
    selection = HistoryFilter(
        subjects=split_values(args.subject),
        labels=labels,
        types=types,
        sources=tuple(args.source or ()),
        domains=split_values(args.domain),
        since=parse_time_option(args.since, "since", now),
        until=parse_time_option(args.until, "until", now),
        text=args.text,
        min_severity=args.min_severity,
        model_version=args.model_version,
        all_versions=args.all_versions,
        alerted=args.alerted,
        limit=limit or None,
    )
    store = open_existing_store(url)
    try:
        records = iter_mentions(store.engine, selection, show_text=args.show_text)
        count = export.write_records(
            records,
            columns(args.show_text),
            args.format,
            args.out,
            table_columns=export.TABLE_COLUMNS + (("title", "text") if args.show_text else ()),
        )
    finally:
        store.close()
    if args.out:
        print(f"{count} mention{'s' if count != 1 else ''} written to {args.out} ({args.format})")
    elif args.format == "table" and limit and count == limit:
        print(f"(first {limit}; --limit N for more, --format csv|jsonl|parquet --out FILE for all)")
    return EXIT_OK


def _history_sql(args: argparse.Namespace, words: list[str]) -> int:
    from mentionwatch.history import export
    from mentionwatch.history.sql import ReadOnlySQLError, iter_readonly

    if args.store:
        if len(words) != 1:
            raise CommandError(
                'usage: mentionwatch history sql --store URL "SELECT ..."', EXIT_CONFIG
            )
        url, query = args.store, words[0]
    else:
        if len(words) != 2:
            raise CommandError('usage: mentionwatch history sql CONFIG "SELECT ..."', EXIT_CONFIG)
        url, query = plain_url(store_url(args, words[0])[0], "history sql"), words[1]
    if args.format == "parquet" and not args.out:
        raise CommandError("--format parquet needs --out FILE.parquet", EXIT_CONFIG)
    # It exists and its schema is current (or the error says what to run).
    open_existing_store(url).close()
    stream = iter_readonly(url, query, timeout_s=args.timeout)
    try:
        names = list(next(stream))
        limit = (
            args.limit
            if args.limit is not None
            else (1000 if args.format == "table" and not args.out else None)
        )
        rows = itertools.islice(stream, limit)  # stops reading (and the query) at the limit
        if args.format == "parquet":
            count = export.write_sql_parquet(names, list(rows), args.out)
        else:
            count = export.write_records(
                export.rows_to_records(names, rows), names, args.format, args.out
            )
    except ReadOnlySQLError as exc:
        raise CommandError(f"history sql: {exc}", EXIT_FAILED) from None
    finally:
        stream.close()  # a query cut off at the limit stops here
    if args.out:
        print(f"{count} row{'s' if count != 1 else ''} written to {args.out} ({args.format})")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``history`` (whose first word may be ``sql``) with its filters and output options."""
    p = commands.add_parser(
        "history",
        help="query the mention history (filters; table, CSV, JSON lines, Parquet); 'history sql' "
        "for read-only SQL",
        description="mentionwatch history CONFIG [filters]  |  "
        'mentionwatch history sql CONFIG "SELECT ...". Text is masked unless --show-text. '
        "Times: 30d, 12h, 2w or ISO dates (UTC). docs/history.md has examples.",
    )
    p.add_argument("words", nargs="*", metavar="CONFIG | sql CONFIG QUERY")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--subject", action="append", help="subject name (repeat or comma-separate)")
    p.add_argument("--label", action="append", help=f"label: {', '.join(LABELS)}")
    p.add_argument(
        "--type", action="append", help=f"harassment type: {', '.join(HARASSMENT_TYPES)}"
    )
    p.add_argument(
        "--source", action="append", help="source name, exactly as stored (repeat for several)"
    )
    p.add_argument("--domain", action="append", help="the URL's domain, e.g. tubehub.example")
    p.add_argument("--since", help="from this time (30d = the last 30 days; or an ISO date)")
    p.add_argument("--until", help="up to this time (exclusive)")
    p.add_argument("--text", help="case-insensitive text in the title or body")
    p.add_argument("--min-severity", choices=SEVERITIES[1:], help="only this severity or higher")
    p.add_argument(
        "--model-version", help="rows of this model version (default: each mention's current one)"
    )
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="every model version's row, not just the current one",
    )
    p.add_argument("--alerted", action="store_true", help="only mentions that made an alert")
    p.add_argument(
        "--show-text",
        action="store_true",
        help="include title and text (content warning: abusive text)",
    )
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--out", help="write to this file (required for parquet)")
    p.add_argument(
        "--limit", type=int, help="at most this many rows (table default: 100; history sql: 1000)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="history sql: stop a query after this many seconds",
    )
    # beam=True: extra words are accepted (see _history).
    p.set_defaults(func=cmd_history, beam=True)
