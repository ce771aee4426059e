"""``mentionwatch backfill``: re-run matching and classification over stored items."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence

from mentionwatch.cli.common import parse_time_option
from mentionwatch.command import EXIT_OK, CommandError, load_config_file


def cmd_backfill(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Runs the backfill job and prints its summary; a model that cannot load raises (exit 3)."""
    from mentionwatch.classify.common import ModelLoadError
    from mentionwatch.jobs.backfill import run_backfill

    loaded = load_config_file(args.config)
    now = dt.datetime.now(dt.UTC)
    try:
        summary = run_backfill(
            loaded,
            model=args.model,
            since=parse_time_option(args.since, "since", now),
            until=parse_time_option(args.until, "until", now),
            beam_args=list(beam_args),
        )
    except ModelLoadError as exc:
        raise CommandError(f"model: {exc}") from None
    print(f"mentionwatch backfill {args.config}")
    for line in summary.lines():
        print("  " + line)
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``backfill``; its extra arguments are Beam pipeline options."""
    p = commands.add_parser(
        "backfill",
        help="re-run matching and classification over stored items with a (new) model; history "
        "keeps both",
        description="Extra arguments are Beam pipeline options.",
    )
    p.add_argument("config")
    p.add_argument(
        "--model", help="model directory (or 'shipped'); default: the config's model.name"
    )
    p.add_argument("--since", help="items fetched from this time (30d or ISO)")
    p.add_argument("--until", help="items fetched before this time")
    p.set_defaults(func=cmd_backfill, beam=True)
