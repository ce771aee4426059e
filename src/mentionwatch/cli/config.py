"""``mentionwatch validate`` and ``mentionwatch config schema|reference``: the config file."""

from __future__ import annotations

import argparse
import collections
import json
from collections.abc import Sequence

from mentionwatch.command import EXIT_OK, load_config_file


def cmd_validate(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints a one-line summary of a valid config (exit 0); a bad one raises (exit 2)."""
    cfg = load_config_file(args.config).config
    kinds = collections.Counter(kind for kind, _index, _block in cfg.sources.polled())
    if cfg.sources.jetstream is not None:
        kinds["jetstream"] += 1
    total = sum(kinds.values())
    sources = f"{total} source{'s' if total != 1 else ''}" + (
        f" ({', '.join(f'{kind} {n}' for kind, n in kinds.items())})" if kinds else ""
    )
    subjects = f"{len(cfg.subjects)} subject{'s' if len(cfg.subjects) != 1 else ''}"
    print(
        f"{args.config}: ok ({subjects}, {sources}, "
        f"pubsub {'on' if cfg.pubsub else 'off'}, store {cfg.store.scheme})"
    )
    return EXIT_OK


def cmd_config_schema(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints the config's JSON Schema (``schema``) or its Markdown reference (``reference``)."""
    from mentionwatch.config.reference import json_schema, reference_markdown

    if args.config_command == "schema":
        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    else:
        print(reference_markdown(), end="")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``validate`` and ``config`` to the ``mentionwatch`` subcommands."""
    p = commands.add_parser(
        "validate",
        help="check a config file; exit 2 listing every problem",
        description="Reads CONFIG and checks everything that can be checked without running "
        "anything: the YAML, every field's type and range, subject names used by sources and "
        "recipients, name forms the matcher cannot read. Exit 0 when valid (a summary is "
        "printed), 2 with every problem as FILE:LINE field: message. The fields are listed in "
        "docs/config.md.",
    )
    p.add_argument("config", help="the YAML config file")
    p.set_defaults(func=cmd_validate)

    config = commands.add_parser(
        "config", help="the config format: JSON Schema for editors, the reference in Markdown"
    )
    actions = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    p = actions.add_parser("schema", help="print the config's JSON Schema (for YAML editors)")
    p.set_defaults(func=cmd_config_schema)
    p = actions.add_parser("reference", help="print the config reference (docs/config.md)")
    p.set_defaults(func=cmd_config_schema)
