"""``mentionwatch store upgrade|status|retention``: the history store's schema and retention."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mentionwatch.cli.common import open_store, store_url
from mentionwatch.command import EXIT_FAILED, EXIT_OK, CommandError, load_config_file


def cmd_store_upgrade(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Upgrades the store's schema (Alembic); an unreachable store raises (exit 3)."""
    from mentionwatch.store import StoreUnavailable
    from mentionwatch.store.engine import dispose_engine, make_engine
    from mentionwatch.store.migrate import upgrade

    url, _ = store_url(args, args.config)
    try:
        engine = make_engine(url)  # Cloud SQL: through the connector, logged in with IAM
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    try:
        before, after = upgrade(engine, args.revision)
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    finally:
        dispose_engine(engine)
    if before == after:
        print(f"history store already at revision {after}")
    else:
        print(f"history store upgraded from {before or 'empty'} to {after}")
    return EXIT_OK


def cmd_store_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints the revision, drift and row counts: exit 0 when current, 1 when behind or drifted."""
    import sqlalchemy as sa

    from mentionwatch.store import schema
    from mentionwatch.store.engine import StoreTarget, dispose_engine, make_engine
    from mentionwatch.store.migrate import current_revision, differences, head_revision

    url, _ = store_url(args, args.config)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
            present = set(sa.inspect(connection).get_table_names())
            counts = {
                name: int(
                    connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for name, table in sorted(schema.metadata.tables.items())
                if name in present
            }
        drift = differences(engine) if revision == head_revision() else []
    except sa.exc.OperationalError as exc:
        raise CommandError(f"cannot open the history store: {exc.orig}") from None
    finally:
        dispose_engine(engine)
    print(f"store     {StoreTarget.of(url).display()}")
    print(f"revision  {revision or 'none (empty)'}; this mentionwatch needs {head_revision()}")
    if revision != head_revision():
        print(f"          run: mentionwatch store upgrade {args.config or '--store URL'}")
    if drift:
        print(f"          schema differs from the code in {len(drift)} place(s): {drift[:3]}")
    for name, count in counts.items():
        print(f"  {name:<22} {count:>12,} rows")
    return EXIT_OK if revision == head_revision() and not drift else EXIT_FAILED


def cmd_store_retention(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Deletes (or with ``--dry-run`` counts) what the retention policy no longer keeps."""
    from mentionwatch.store import StoreUnavailable
    from mentionwatch.store.retention import RetentionPolicy, apply_retention

    loaded = load_config_file(args.config)
    policy = RetentionPolicy.from_config(loaded.config)
    store = open_store(args.store or loaded.config.store.target())
    try:
        counts = apply_retention(store, policy, dry_run=args.dry_run)
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    keep = (
        f"history kept {policy.history_days} days"
        if policy.history_days
        else "history kept until deleted"
    )
    print(
        f"retention ({'dry run, nothing deleted' if args.dry_run else 'applied'}): raw bodies "
        f"{policy.raw_days} days unless referenced; dead letters {policy.dead_letters_days} days; "
        f"{keep}"
    )
    for name, count in counts.items():
        print(f"  {name:<16} {count:>10,} {'would be ' if args.dry_run else ''}deleted")
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``store`` and its actions ``upgrade``, ``status`` and ``retention``."""
    store = commands.add_parser(
        "store", help="the history store: schema upgrades, status, retention"
    )
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "upgrade", help="upgrade the store's schema to this mentionwatch's (Alembic)"
    )
    p.add_argument("config", nargs="?")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--revision", default="head", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_store_upgrade)
    p = actions.add_parser("status", help="schema revision, drift and row counts")
    p.add_argument("config", nargs="?")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.set_defaults(func=cmd_store_status)
    p = actions.add_parser(
        "retention", help="delete what the retention policy no longer keeps (store.retention)"
    )
    p.add_argument("config")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--dry-run", action="store_true", help="count only; delete nothing")
    p.set_defaults(func=cmd_store_retention)
