"""``mentionwatch watch``: the whole event-driven flow, supervised, until Ctrl-C.

Each cycle (every ``ingest.poll_interval_s`` seconds):

1. make sure the topics and subscriptions exist (an emulator restarted
   empty gets them back);
2. make sure the monitor (a streaming job, in its own process) is running,
   restarting it with backoff if it stopped — e.g. because Pub/Sub went away;
3. publish alerts still pending or held past their window (same ids);
4. run the ingest job (poll, keep what is new, publish to the items topic);
5. once a day (from the first cycle), apply the store's retention policy
   (``store.retention``; the same as ``mentionwatch store retention``), and
   once an hour review the open takedown requests (``mentionwatch takedown
   status``: re-check their URLs, and tell the helper of an overdue one);
6. print one status line: items seen, mentions, alerts and how many reached
   a person, dead letters, and per-source health.

When the config has a ``notify:`` block, delivery runs inside watch too (a
thread running ``notify``'s service loop, restarted with backoff when it
stops), so one command takes a mention all the way to the person; ``--no-notify``
leaves delivery to a separate ``mentionwatch notify``.

Nothing here holds data that matters: items live in the store's outbox until
the monitor confirms them, alerts in the store until Pub/Sub accepts them and
until ``notify`` has delivered them (it reconciles against the store). A
watch that is killed and started again carries on where it stopped. Ctrl-C
stops everything within a few seconds and says what was still on its way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

import sqlalchemy as sa

from mentionwatch import timeutil
from mentionwatch.config import LoadedConfig
from mentionwatch.jobs.ingest import run_ingest
from mentionwatch.jobs.supervise import DeliveryThread, MonitorProcess
from mentionwatch.notify import delivery
from mentionwatch.pubsub.admin import PubSubUnavailable, emulator_host, ensure_resources
from mentionwatch.pubsub.emulator import PubSubEmulator
from mentionwatch.pubsub.publish import AlertPublisher
from mentionwatch.store import HistoryStore, StoreUnavailable, schema
from mentionwatch.store.retention import RetentionPolicy, apply_retention

_log = logging.getLogger(__name__)

RETENTION_EVERY_S = 24 * 3600  # how often watch applies the retention policy
TAKEDOWNS_EVERY_S = 3600  # how often watch reviews open takedown requests (48 h clocks)
# Each Pub/Sub admin call per cycle, retries included: an outage shows at once,
# and Ctrl-C is never kept waiting behind it.
PUBSUB_DEADLINE_S = 1.5


def republish_pending(
    loaded: LoadedConfig, host: str | None, store: HistoryStore
) -> tuple[int, int]:
    """Publishes alerts pending or held past their window; returns (sent, still pending)."""
    settings = loaded.config.pubsub
    pending = store.pending_alerts()
    if not pending or settings is None:
        return 0, len(pending)
    publisher = AlertPublisher(settings.topic_path(settings.topics.alerts), host, deadline=10.0)
    try:
        sent, failed = publisher.publish(pending)
    finally:
        publisher.close()
    store.mark_published(sent)
    store.mark_failed(failed)
    return len(sent), len(failed)


def status_line(
    store: HistoryStore,
    monitor_state: str,
    note: str = "",
    *,
    delivery_state: str | None = None,
    since: dt.datetime | None = None,
) -> str:
    """The status line: items, mentions, alerts, dead letters, sources, the monitor's state.

    With ``delivery_state``, it also says how many alerts (since ``since``)
    reached a person.
    """
    with store.engine.connect() as connection:

        def count(table, *where):
            return connection.execute(
                sa.select(sa.func.count()).select_from(table).where(*where)
            ).scalar_one()

        items = count(schema.item_outbox)
        unconfirmed = count(schema.item_outbox, schema.item_outbox.c.processed_at.is_(None))
        mentions = count(schema.mentions)
        published = count(schema.alerts, schema.alerts.c.status == "published")
        waiting = count(schema.alerts, schema.alerts.c.status.in_(("pending", "held")))
        letters = count(schema.dead_letters)
        states = (
            delivery.state_counts(connection, since=since) if delivery_state is not None else None
        )
    feeds = store.all_feed_states()
    failing = [f for f in feeds if f["consecutive_failures"]]
    health = f"sources {len(feeds) - len(failing)} ok"
    if failing:
        health += ", failing: " + ", ".join(
            f"{f['name']} ({f['consecutive_failures']}x)" for f in failing[:3]
        )
        health += "…" if len(failing) > 3 else ""
    alerts = f"alerts {published} published, {waiting} waiting"
    if states is not None:
        undelivered = sum(states[s] for s in delivery.UNDELIVERED)
        alerts += (
            f" | delivered {states['delivered']}, in digests {states['queued']}, "
            f"not yet {undelivered}"
        )
    line = (
        f"items {items} ({unconfirmed} in flight) | mentions {mentions} | {alerts}"
        f" | dead letters {letters} | {health} | monitor {monitor_state}"
        + (f" | delivery {delivery_state}" if delivery_state is not None else "")
    )
    return f"{line} | {note}" if note else line


def _store_error(exc: Exception) -> str:
    """What to show of a store error.

    A StoreUnavailable says it plainly; a raw SQLAlchemy error's text can
    quote stored rows, so only its type is shown.
    """
    return str(exc)[:80] if isinstance(exc, StoreUnavailable) else type(exc).__name__


def apply_retention_quietly(store: HistoryStore, cfg) -> str:
    """Applies the retention policy; returns a note for the status line (never raises)."""
    try:
        counts = apply_retention(store, RetentionPolicy.from_config(cfg))
    except (StoreUnavailable, sa.exc.SQLAlchemyError) as exc:
        _log.warning("retention skipped: %s", _store_error(exc))
        return "retention skipped (store unavailable)"
    deleted = sum(counts.values())
    if deleted:
        _log.info("retention deleted %s", {k: v for k, v in counts.items() if v})
    return f"retention: {deleted} row(s) deleted" if deleted else ""


def review_takedowns_quietly(store: HistoryStore, loaded: LoadedConfig, **options) -> str:
    """Reviews open takedown requests as ``takedown status`` does; a status note, never raises.

    ``options`` go to ``takedown.status.review`` (tests pass a ``fetcher``).
    """
    from mentionwatch.takedown.status import review

    try:
        statuses = review(
            store, loaded.config, now=timeutil.now(), base_dir=loaded.base_dir, **options
        )
    except Exception as exc:  # noqa: BLE001 - a failed review must not stop watch; next hour retries
        _log.warning("takedown review skipped: %s", _store_error(exc))
        return "takedown review skipped"
    if not statuses:
        return ""
    overdue = sum(1 for status in statuses if status.clock.overdue)
    return f"takedown requests: {len(statuses)} open" + (f", {overdue} overdue" if overdue else "")


def pending_summary(store: HistoryStore) -> str:
    """What was still on its way when watch stopped (nothing is lost: all of it is in the store)."""
    with store.engine.connect() as connection:
        states = delivery.state_counts(connection)
    waiting, undelivered = states["waiting"], sum(states[s] for s in delivery.UNDELIVERED)
    if not waiting and not undelivered:
        return (
            "nothing pending: every alert was published and reached someone (or waits in a digest)"
        )
    parts = []
    if waiting:
        parts.append(f"{waiting} alert(s) not yet published")
    if undelivered:
        parts.append(f"{undelivered} published but not delivered")
    return (
        "pending: "
        + ", ".join(parts)
        + "; kept in the store, the next watch or notify delivers them"
    )


@dataclasses.dataclass
class _Watch:
    """What one ``run_watch`` supervises, and its cycle, status line and shutdown."""

    loaded: LoadedConfig
    host: str | None
    store: HistoryStore
    monitor: MonitorProcess
    notifier: DeliveryThread | None
    out: TextIO
    started_at: dt.datetime = dataclasses.field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def tty(self) -> bool:
        return getattr(self.out, "isatty", lambda: False)()

    def cycle(self, where: str, interval: float) -> tuple[str, str]:
        """Steps 1-4 of the module docstring; returns the monitor's state and a note."""
        cfg = self.loaded.config
        try:
            ensure_resources(cfg.pubsub, self.host, timeout=PUBSUB_DEADLINE_S)
            if self.notifier is not None and not self.notifier.started:
                self.notifier.start()  # once the subscription it reads exists
            state = self.monitor.ensure_running()
            republish_pending(self.loaded, self.host, self.store)
            summary = run_ingest(self.loaded, emulator_host=self.host)
            return state, (
                f"last poll: {summary.new_items} new, {summary.not_modified} unchanged, "
                f"{summary.failed} failed"
            )
        except PubSubUnavailable:
            return self.monitor.ensure_running(), (
                f"Pub/Sub unreachable at {where}, retrying every {interval:g} s "
                "(alerts wait in the store)"
            )
        except (StoreUnavailable, sa.exc.OperationalError) as exc:
            # Nothing is lost: items wait in the feeds and the outbox, alerts in the store.
            return self.monitor.ensure_running(), (
                f"history store unavailable, retrying next cycle ({_store_error(exc)})"
            )

    def show(self, state: str, note: str) -> None:
        """Prints the status line (rewritten in place on a terminal)."""
        try:
            line = status_line(
                self.store,
                state,
                note,
                delivery_state=self.notifier.state if self.notifier else None,
                since=self.started_at - dt.timedelta(days=1),
            )
        except (StoreUnavailable, sa.exc.OperationalError) as exc:
            line = f"history store unavailable ({_store_error(exc)}) | monitor {state} | {note}"
        tty = self.tty
        print(
            ("\r\033[K" if tty else "") + line, end="" if tty else "\n", file=self.out, flush=True
        )

    def stop(self) -> None:
        """Stops delivery and the monitor together, then says what is still pending."""
        out, notifier = self.out, self.notifier
        print("" if not self.tty else "\n", end="", file=out)
        print("stopping: " + ("delivery, " if notifier else "") + "monitor…", file=out, flush=True)
        stopping = time.monotonic()
        if notifier is not None:
            notifier.request_stop()  # both wind down at once
        self.monitor.stop()
        if notifier is not None:
            notifier.join(max(0.1, 1.0 - (time.monotonic() - stopping)))
        try:
            print(pending_summary(self.store), file=out, flush=True)
        except (StoreUnavailable, sa.exc.SQLAlchemyError) as exc:
            print(f"could not read what is pending ({_store_error(exc)})", file=out, flush=True)


def _stop_on_signals(stop: threading.Event) -> dict:
    """SIGINT and SIGTERM set ``stop`` (main thread only); returns the handlers replaced."""
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, lambda *_: stop.set())
    return handlers


def run_watch(
    loaded: LoadedConfig,
    *,
    start_emulator: bool = False,
    interval: float | None = None,
    beam_args: Sequence[str] = (),
    deliver: bool = True,
    stop: threading.Event | None = None,
    out=sys.stdout,
) -> int:
    """Runs until ``stop`` is set or SIGINT/SIGTERM; returns an exit status.

    ``deliver``: run delivery (``notify``) inside watch when the config has a
    ``notify:`` block.

    Raises:
      ValueError: the config has no ``pubsub`` block.
    """
    cfg = loaded.config
    if cfg.pubsub is None:
        raise ValueError("watch needs a 'pubsub' block (items and alerts travel over Pub/Sub)")
    stop = stop or threading.Event()
    interval = interval or cfg.ingest.poll_interval_s
    emulator = None
    if start_emulator:
        host_name, port = cfg.pubsub.emulator_host.rsplit(":", 1)
        emulator = PubSubEmulator(host_name, int(port), project=cfg.pubsub.project).start()
        host = emulator.endpoint
    else:
        host = emulator_host(cfg.pubsub)
    where = f"the emulator at {host}" if host else f"Google Cloud (project {cfg.pubsub.project})"
    store = HistoryStore(cfg.store.target())
    log_dir = os.environ.get("MENTIONWATCH_LOG_DIR")
    monitor = MonitorProcess(
        str(loaded.path), host, beam_args, os.path.join(log_dir, "monitor.log") if log_dir else None
    )
    notifier = DeliveryThread(loaded, host) if deliver and cfg.notify is not None else None
    watch = _Watch(loaded, host, store, monitor, notifier, out)
    handlers = _stop_on_signals(stop)
    retention_due = takedowns_due = time.monotonic()
    try:
        while not stop.is_set():
            started = time.monotonic()
            state, note = watch.cycle(where, interval)
            if stop.is_set():
                break
            if time.monotonic() >= retention_due:
                retention_due = time.monotonic() + RETENTION_EVERY_S
                note = "; ".join(filter(None, (note, apply_retention_quietly(store, cfg))))
            if time.monotonic() >= takedowns_due:
                takedowns_due = time.monotonic() + TAKEDOWNS_EVERY_S
                note = "; ".join(filter(None, (note, review_takedowns_quietly(store, loaded))))
            watch.show(state, note)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        watch.stop()
        if emulator is not None:
            emulator.stop()
        store.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        print("stopped cleanly", file=out, flush=True)
    return 0
