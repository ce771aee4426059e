"""``mentionwatch sources status|jetstream``: the configured sources' health, real-time streams."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence

from mentionwatch.cli.common import pubsub_host, require_pubsub, stop_on_signals
from mentionwatch.command import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, CommandError, load_config_file


def cmd_sources_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints every configured source's health from the store (docs/sources.md).

    Returns 1 with ``--check`` when a source is failing or silent; an
    unreachable store raises (exit 3).
    """
    from mentionwatch.sources.health import UNHEALTHY, format_status, status_rows
    from mentionwatch.sources.registry import source_specs
    from mentionwatch.store import HistoryStore, StoreUnavailable

    loaded = load_config_file(args.config)
    specs = source_specs(loaded)
    now = dt.datetime.now(dt.UTC)
    try:
        store = HistoryStore(loaded.config.store.target())
        try:
            rows = status_rows(
                specs,
                store.feed_states(s.url for s in specs),
                store.items_per_day([s.url for s in specs], now=now),
                now,
            )
        finally:
            store.close()
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for line in format_status(rows, now):
            print(line)
        unwell = sum(r["state"] in UNHEALTHY for r in rows)
        print(f"{len(rows)} source{'s' if len(rows) != 1 else ''}, {unwell} failing or silent")
    return EXIT_FAILED if args.check and any(r["state"] in UNHEALTHY for r in rows) else EXIT_OK


def cmd_sources_jetstream(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Streams Bluesky posts from Jetstream to the items topic until Ctrl-C (docs/sources.md).

    Raises (exit 2) without a ``sources.jetstream`` block, (exit 3) when
    Pub/Sub is unreachable.
    """
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable
    from mentionwatch.sources.jetstream import run_jetstream

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    if loaded.config.sources.jetstream is None:
        raise CommandError(
            f"{loaded.path}: has no 'sources.jetstream' block (docs/sources.md)", EXIT_CONFIG
        )
    host = pubsub_host(loaded)
    try:
        check_reachable(settings, host)
    except PubSubUnavailable as exc:
        raise CommandError(str(exc)) from None
    with stop_on_signals() as stop:
        print(f"mentionwatch sources jetstream {args.config} (Ctrl-C or SIGTERM stops)", flush=True)
        report = run_jetstream(loaded, emulator_host=host, stop=stop, max_events=args.max_events)
    print(f"  {report.line()}")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``sources`` and its actions ``status`` and ``jetstream``."""
    sources = commands.add_parser(
        "sources", help="the configured sources: health, real-time streams"
    )
    actions = sources.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "status",
        help="each source's health: last success, failures in a row, items per day, silent or "
        "failing",
    )
    p.add_argument("config")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument(
        "--check", action="store_true", help="exit 1 when any source is failing or silent"
    )
    p.set_defaults(func=cmd_sources_status)
    p = actions.add_parser(
        "jetstream",
        help="stream Bluesky posts (Jetstream WebSocket) to the items topic until Ctrl-C",
    )
    p.add_argument("config")
    # Hidden, for tests: stop after N events.
    p.add_argument("--max-events", type=int, default=None, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_sources_jetstream)
