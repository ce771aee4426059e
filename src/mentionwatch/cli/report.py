"""``mentionwatch report``: an HTML report with charts (no abusive text) for a period."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from mentionwatch.cli.common import open_existing_store, parse_time_option, split_values
from mentionwatch.command import EXIT_CONFIG, EXIT_OK, CommandError, load_config_file


def cmd_report(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Writes the report and its charts and prints their paths; raises (exit 2) on a bad period."""
    from mentionwatch.report import PileOnSettings, build_report, write_report

    loaded = load_config_file(args.config)
    url = args.store or loaded.config.store.target()
    now = dt.datetime.now(dt.UTC)
    until = parse_time_option(args.until, "until", now) or now
    since = parse_time_option(args.since, "since", until)
    if since >= until:
        raise CommandError("--since must be before --until", EXIT_CONFIG)
    subjects = split_values(args.subject) or tuple(s.name for s in loaded.config.subjects)
    store = open_existing_store(url)
    try:
        report = build_report(
            store,
            since=since,
            until=until,
            subjects=subjects,
            pile_on=PileOnSettings.from_config(loaded.config.alerts.pile_on),
        )
    finally:
        store.close()
    paths = write_report(report, args.out)
    total = sum(report.totals.values())
    print(
        f"report for {', '.join(subjects)}: {total} mentions from {since:%Y-%m-%d %H:%M} "
        f"to {until:%Y-%m-%d %H:%M} UTC"
    )
    for path in paths:
        print(f"  {path}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``report``."""
    p = commands.add_parser(
        "report", help="an HTML report with charts (no abusive text) for a period"
    )
    p.add_argument("config")
    p.add_argument(
        "--since", default="30d", help="start: 30d (before --until), or an ISO date (default 30d)"
    )
    p.add_argument("--until", help="end (default: now)")
    p.add_argument("--subject", action="append", help="only these subjects (default: the config's)")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument(
        "--out", default="report.html", help="HTML file; the PNG charts are written beside it"
    )
    p.set_defaults(func=cmd_report)
