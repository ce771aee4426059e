"""``mentionwatch notify``: from a loaded config to a Notifier reading the alerts subscription.

``run_notify`` builds the store, the channels and the ``Notifier``, retries
dead letters when asked, finishes the digests a previous run left, then reads
the subscription (``subscriber.AlertStream`` until stopped, or
``subscriber.AlertDrain`` with ``once``; a drain ends by reconciling with the
store and flushing due digests, every queued one with ``flush_all``).
"""

from __future__ import annotations

import pathlib
import threading
from collections.abc import Callable, Mapping
from typing import TextIO

from mentionwatch.config import LoadedConfig
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.recipients import guidance_of
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.sending import Interrupted
from mentionwatch.notify.service import Notifier
from mentionwatch.notify.store import NotifyStore
from mentionwatch.notify.subscriber import AlertDrain, AlertStream, reconcile_or_log


class NotifyConfigMissing(ValueError):
    """The config has no ``notify`` or ``pubsub`` block."""


def _check_blocks(loaded: LoadedConfig) -> None:
    """Raises ``NotifyConfigMissing`` when the config lacks the ``notify`` or ``pubsub`` block."""
    config = loaded.config
    if config.notify is None:
        raise NotifyConfigMissing(
            f"{loaded.path}: has no 'notify' block; add one (see docs/alerts.md)"
        )
    if config.pubsub is None:
        raise NotifyConfigMissing(
            f"{loaded.path}: has no 'pubsub' block; notify reads alerts from Pub/Sub"
        )


def _serve(
    notifier: Notifier,
    path: str,
    host: str | None,
    stop: threading.Event,
    *,
    once: bool,
    flush_all: bool,
    wait: float,
    idle: float,
) -> None:
    """Drains the subscription (``once``) or listens on it until ``stop`` is set."""
    limit = notifier.settings.delivery.max_messages
    if once:
        AlertDrain(notifier, path, host, max_messages=limit).run(stop, wait=wait, idle=idle)
        if not stop.is_set():
            reconcile_or_log(notifier)
            notifier.flush_digests(force=flush_all)
    else:
        AlertStream(notifier, path, host, max_messages=limit).run(stop)


def run_notify(
    loaded: LoadedConfig,
    host: str | None,
    *,
    once: bool = False,
    flush_all: bool = False,
    retry_dead_letters: bool = False,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    base_dir: pathlib.Path | None = None,
    console: TextIO | None = None,
    wait: float = 10.0,
    idle: float = 2.0,
    keep_received: bool = False,
    on_delivered: Callable[[str], None] | None = None,
) -> NotifyReport:
    """Runs ``mentionwatch notify`` for ``loaded``; returns what it did.

    Args:
      loaded: the loaded config; it needs a ``notify`` and a ``pubsub`` block.
      host: the Pub/Sub emulator's host:port, or None for Google Cloud Pub/Sub.
      once: drain and return instead of running until ``stop`` is set.
      flush_all: with ``once``, send every queued digest at the end, due or not.
      retry_dead_letters: first try every open notification dead letter again.
      stop: set to stop (SIGINT/SIGTERM in the CLI).
      clock: the time source (injectable, like the next three, for tests and the demo).
      env: where channel secrets are read from (default: the environment).
      base_dir: what relative file-channel directories resolve against.
      console: where the console channel writes (default: stdout).
      wait: with ``once``, how long to wait for the first message.
      idle: with ``once``, how long the subscription must stay empty before the drain ends.
      keep_received: keep every received alert body in the report.
      on_delivered: called with one masked line per settled delivery.

    Raises:
      NotifyConfigMissing: no ``notify`` or ``pubsub`` block.
      ChannelSetupError: a channel's secret is not in the environment.
      PubSubUnavailable: the subscription cannot be read.
      StoreUnavailable: the store cannot be opened.
    """
    _check_blocks(loaded)
    config = loaded.config
    stop = stop or threading.Event()
    store = NotifyStore(config.store.target())
    try:
        notifier = Notifier.from_settings(
            config.notify,
            [s.name for s in config.subjects],
            store,
            env=env,
            base_dir=base_dir or loaded.base_dir,
            console=console,
            clock=clock,
            stop=stop,
            keep_received=keep_received,
            on_delivered=on_delivered,
            guidance=guidance_of(config, loaded.path),
        )
        try:
            if retry_dead_letters:
                notifier.retry_dead_letters()
            # Finish what a previous run left, send what fell due while it was down.
            notifier.flush_digests()
            path = config.pubsub.subscription_path(config.pubsub.subscriptions.alerts)
            _serve(notifier, path, host, stop, once=once, flush_all=flush_all, wait=wait, idle=idle)
        except Interrupted:
            pass  # a stop while a digest or a dead letter waited to retry: the store keeps it
        finally:
            notifier.close()
    finally:
        store.close()
    return notifier.report
