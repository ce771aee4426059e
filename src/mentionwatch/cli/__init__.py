"""The ``mentionwatch`` command: the top-level parser and ``main``.

Exit codes: 0 success; 1 the job failed while running; 2 the config (or the
command line) is invalid; 3 the environment cannot run the job (model, store
or Pub/Sub unavailable), with a message saying what to do.

Each command group is a module of this package that registers its own
subcommands (``register(commands)``) and holds their handlers; a handler takes
``(args, extra)`` and returns the exit status or raises ``CommandError``.
What the modules share is in ``cli.common`` and ``mentionwatch.command``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from mentionwatch import __version__
from mentionwatch.cli import (
    alerts,
    backfill,
    config,
    evidence,
    history,
    pubsub,
    report,
    run,
    sources,
    store,
    subjects,
    takedown,
    train,
)
from mentionwatch.command import CommandError

# In the order ``mentionwatch --help`` lists them; the analyst commands (history
# to store, docs/history.md) come last.
COMMAND_GROUPS = (
    config,
    run,
    pubsub,
    train,
    sources,
    subjects,
    history,
    evidence,
    takedown,
    report,
    alerts,
    backfill,
    store,
)


def build_parser() -> argparse.ArgumentParser:
    """The ``mentionwatch`` parser with every command group's subcommands."""
    parser = argparse.ArgumentParser(
        prog="mentionwatch",
        description="Watch feeds for mentions of a person; classify harassment and re-promotion; "
        "alert calmly.",
    )
    parser.add_argument("--version", action="version", version=f"mentionwatch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress (never abusive text)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command in ``argv`` (default: the process's) and returns its exit status.

    Extra arguments are accepted only by commands that pass them on (Beam
    pipeline options); a ``CommandError`` is printed to stderr and its code
    returned, Ctrl-C returns 130.
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "beam", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("mentionwatch").setLevel(logging.INFO if args.verbose else logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return args.func(args, extra)
    except CommandError as exc:
        print(f"mentionwatch: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
