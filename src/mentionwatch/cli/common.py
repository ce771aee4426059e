"""What the command modules share: Pub/Sub settings, the history store, times and lists.

Every helper turns a problem into a ``CommandError`` with the exit status and
the words ``main`` prints, so handlers stay a straight line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mentionwatch.command import EXIT_CONFIG, EXIT_FAILED, CommandError, load_config_file
from mentionwatch.config import LoadedConfig

if TYPE_CHECKING:
    from mentionwatch.store import HistoryStore
    from mentionwatch.store.engine import StoreTarget


def pubsub_host(loaded: LoadedConfig) -> str | None:
    """The emulator's host:port the config's Pub/Sub uses; None for Cloud Pub/Sub or no block."""
    from mentionwatch.pubsub.admin import emulator_host

    return emulator_host(loaded.config.pubsub) if loaded.config.pubsub else None


def require_pubsub(loaded: LoadedConfig):
    """The config's ``pubsub`` block; raises ``CommandError`` (exit 2) when it has none."""
    if loaded.config.pubsub is None:
        raise CommandError(
            f"{loaded.path}: has no 'pubsub' block; add one to use Pub/Sub", EXIT_CONFIG
        )
    return loaded.config.pubsub


def store_url(
    args: argparse.Namespace, config: str | None
) -> tuple[StoreTarget | str, LoadedConfig | None]:
    """The store from ``--store URL`` or the config (its ``store.target()``), and the config.

    Raises ``CommandError`` (exit 2) when there is neither a CONFIG nor ``--store``.
    """
    if getattr(args, "store", None):
        return args.store, (load_config_file(config) if config else None)
    if not config:
        raise CommandError("give a CONFIG (its store block is used) or --store URL", EXIT_CONFIG)
    loaded = load_config_file(config)
    return loaded.config.store.target(), loaded


def plain_url(store: StoreTarget | str, command: str) -> str:
    """The store's SQLAlchemy URL, for commands that open their own engine from a URL.

    Raises ``CommandError`` (exit 2) for a Cloud SQL store or one whose
    password lives elsewhere: such a command needs ``--store URL``.
    """
    from mentionwatch.store.engine import StoreTarget

    target = StoreTarget.of(store)
    if target.url is None or target.password is not None:
        raise CommandError(
            f"{command} opens the store by URL, and {target.display()} is not one it can open "
            "(Cloud SQL, or a password from store.password): give --store URL, e.g. through "
            "cloud-sql-proxy on 127.0.0.1",
            EXIT_CONFIG,
        )
    return target.url


def open_store(store: StoreTarget | str, *, upgrade: bool | None = None) -> HistoryStore:
    """The history store ``store`` names; an unreachable one raises ``CommandError`` (exit 3)."""
    from mentionwatch.store import HistoryStore, StoreUnavailable

    try:
        return HistoryStore(store, upgrade=upgrade)
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None


def open_existing_store(store: StoreTarget | str) -> HistoryStore:
    """Opens a store a read-only command reads: never creates or migrates one.

    A SQLite file that does not exist, a database without mentionwatch's
    tables, or one at an older schema revision raises ``CommandError``
    (exit 1) saying what to do.
    """
    import pathlib

    import sqlalchemy as sa

    from mentionwatch.store.engine import StoreSchemaError, StoreTarget

    target = StoreTarget.of(store)
    parsed = sa.engine.make_url(target.url) if target.url is not None else None
    sqlite_file = parsed.database if parsed and parsed.get_backend_name() == "sqlite" else None
    if sqlite_file not in (None, "", ":memory:") and not pathlib.Path(sqlite_file).is_file():
        raise CommandError(
            f"no history store at {parsed.database} (the config's store.url, resolved "
            "against the config's folder); nothing has been stored there yet: run scan, "
            "watch or demo with this config first, or give the right one with --store URL",
            EXIT_FAILED,
        )
    try:
        return open_store(target, upgrade=False)
    except StoreSchemaError as exc:
        raise CommandError(
            f"{exc} (read-only commands never change a store)", EXIT_FAILED
        ) from None


def parse_time_option(value: str | None, option: str, now: dt.datetime) -> dt.datetime | None:
    """``--since``/``--until`` as an aware time (None when not given), relative to ``now``.

    A value ``history.timespec`` cannot read raises ``CommandError`` (exit 2)
    naming the option.
    """
    from mentionwatch.history.timespec import parse_moment

    if value is None:
        return None
    try:
        return parse_moment(value, now=now)
    except ValueError as exc:
        raise CommandError(f"--{option}: {exc}", EXIT_CONFIG) from None


def split_values(values: Sequence[str] | None) -> tuple[str, ...]:
    """The values of a repeatable option, each also split on commas, blanks dropped."""
    return tuple(v.strip() for value in (values or ()) for v in value.split(",") if v.strip())


@contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An event SIGINT or SIGTERM sets while the block runs (instead of interrupting it).

    The handlers are only installed on the main thread (the only one that may
    install them) and the previous ones are restored on the way out.
    """
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
