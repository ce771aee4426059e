"""``mentionwatch watch``: the whole event-driven flow, supervised, until Ctrl-C.

Each cycle (every ``ingest.poll_interval_s`` seconds):

1. make sure the topics and subscriptions exist (an emulator restarted
   empty gets them back);
2. make sure the monitor (a streaming job, in its own process) is running,
   restarting it with backoff if it stopped — e.g. because Pub/Sub went away;
3. publish alerts still pending or held past their window (same ids);
4. run the ingest job (poll, keep what is new, publish to the items topic);
5. once a day (from the first cycle), apply the store's retention policy
   (``store.retention``; the same as ``mentionwatch store retention``);
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

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import sqlalchemy as sa

from mentionwatch.config import LoadedConfig
from mentionwatch.ingest import run_ingest
from mentionwatch.notify import delivery
from mentionwatch.pubsub.admin import PubSubUnavailable, emulator_host, ensure_resources
from mentionwatch.pubsub.emulator import PubSubEmulator
from mentionwatch.pubsub.publish import AlertPublisher
from mentionwatch.store import HistoryStore, StoreUnavailable, schema
from mentionwatch.store.retention import RetentionPolicy, apply_retention

_log = logging.getLogger(__name__)

RETENTION_EVERY_S = 24 * 3600  # how often watch applies the retention policy
PUBSUB_DEADLINE_S = (
    1.5  # each Pub/Sub admin call per cycle, retries included: an outage shows at once,
)
# and Ctrl-C is never kept waiting behind it


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


class DeliveryThread:
    """``notify``'s service loop in a thread of watch, restarted with backoff when it stops."""

    def __init__(self, loaded: LoadedConfig, host: str | None):
        self._loaded, self._host = loaded, host
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "waiting for Pub/Sub"

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> DeliveryThread:
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        from mentionwatch.notify.channels import ChannelSetupError
        from mentionwatch.notify.subscriber import run_notify

        failures = 0
        while not self._stop.is_set():
            self.state = "running"
            try:
                run_notify(self._loaded, self._host, stop=self._stop)
            except (
                ChannelSetupError
            ) as exc:  # a missing secret does not fix itself: say so and stop trying
                self.state = f"not running ({str(exc)[:120]})"
                _log.error("delivery cannot start: %s", exc)
                return
            except (PubSubUnavailable, StoreUnavailable, sa.exc.OperationalError) as exc:
                failures += 1
                self.state = f"retrying ({str(exc)[:80]})"
                _log.warning("delivery stopped: %s", exc)
            except Exception as exc:  # noqa: BLE001 - a bug must not end delivery for good
                failures += 1
                self.state = f"retrying ({type(exc).__name__})"
                _log.exception("delivery stopped")
            else:
                failures = 0
            self._stop.wait(min(30.0, 2.0 ** min(failures, 5)))
        self.state = "stopped"

    def request_stop(self) -> None:
        self._stop.set()  # retries give up, the stream closes; join() waits for it

    def join(self, timeout: float = 1.0) -> None:
        if self._thread is not None:
            self._thread.join(
                timeout
            )  # a daemon thread: one stuck in a network call cannot hold the exit


class MonitorProcess:
    """The streaming monitor in a child process, restarted with backoff when it stops."""

    def __init__(
        self,
        config_path: str,
        host: str | None,
        beam_args: Sequence[str],
        log_path: str | None = None,
    ):
        self._command = [
            sys.executable,
            "-m",
            "mentionwatch.cli",
            "monitor",
            config_path,
            *beam_args,
        ]
        self._env = dict(os.environ, **({"PUBSUB_EMULATOR_HOST": host} if host else {}))
        self._process: subprocess.Popen | None = None
        self._restarts = 0
        self._next_start = 0.0
        self._log_path = log_path
        self._log = None

    @property
    def restarts(self) -> int:
        return self._restarts

    def ensure_running(self) -> str:
        """Starts or restarts the monitor if needed; returns its state for the status line."""
        if self._process is not None and self._process.poll() is None:
            return "running"
        if self._process is not None:
            code = self._process.returncode
            self._process = None
            self._restarts += 1
            backoff = min(30.0, 2.0 ** min(self._restarts, 5))
            self._next_start = time.monotonic() + backoff
            _log.warning("monitor exited with status %s; restarting in %.0f s", code, backoff)
        if time.monotonic() < self._next_start:
            return "restarting"
        if self._log is None:
            self._log = open(self._log_path, "ab") if self._log_path else subprocess.DEVNULL  # noqa: SIM115
        self._process = subprocess.Popen(
            self._command,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return "starting"

    def stop(self, timeout: float = 1.0) -> None:
        """SIGINT, then SIGKILL after ``timeout`` s: the monitor keeps nothing (items wait in the outbox)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None


def status_line(
    store: HistoryStore,
    monitor_state: str,
    note: str = "",
    *,
    delivery_state: str | None = None,
    since: dt.datetime | None = None,
) -> str:
    """One line: items, mentions, alerts (and, with delivery, how many reached a person), dead letters, sources."""
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
        alerts += f" | delivered {states['delivered']}, in digests {states['queued']}, not yet {undelivered}"
    line = (
        f"items {items} ({unconfirmed} in flight) | mentions {mentions} | {alerts}"
        f" | dead letters {letters} | {health} | monitor {monitor_state}"
        + (f" | delivery {delivery_state}" if delivery_state is not None else "")
    )
    return f"{line} | {note}" if note else line


def _store_error(exc: Exception) -> str:
    """What to show of a store error: a StoreUnavailable says it plainly; a raw
    SQLAlchemy error's text can quote stored rows, so only its type is shown."""
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
    store = HistoryStore(cfg.store.url)
    log_dir = os.environ.get("MENTIONWATCH_LOG_DIR")
    monitor = MonitorProcess(
        str(loaded.path), host, beam_args, os.path.join(log_dir, "monitor.log") if log_dir else None
    )
    notifier = DeliveryThread(loaded, host) if deliver and cfg.notify is not None else None
    started_at = dt.datetime.now(dt.UTC)
    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            handlers[signum] = signal.signal(signum, lambda *_: stop.set())
    tty = getattr(out, "isatty", lambda: False)()
    retention_due = time.monotonic()
    try:
        while not stop.is_set():
            started = time.monotonic()
            note = ""
            try:
                ensure_resources(cfg.pubsub, host, timeout=PUBSUB_DEADLINE_S)
                if notifier is not None and not notifier.started:
                    notifier.start()  # once the subscription it reads exists
                state = monitor.ensure_running()
                republish_pending(loaded, host, store)
                summary = run_ingest(loaded, emulator_host=host)
                note = f"last poll: {summary.new_items} new, {summary.not_modified} unchanged, {summary.failed} failed"
            except PubSubUnavailable:
                state = monitor.ensure_running()
                note = f"Pub/Sub unreachable at {where}, retrying every {interval:g} s (alerts wait in the store)"
            except (StoreUnavailable, sa.exc.OperationalError) as exc:
                # Nothing is lost: items wait in the feeds and the outbox, alerts in the store.
                state = monitor.ensure_running()
                note = f"history store unavailable, retrying next cycle ({_store_error(exc)})"
            if stop.is_set():
                break
            if time.monotonic() >= retention_due:
                retention_due = time.monotonic() + RETENTION_EVERY_S
                note = "; ".join(filter(None, (note, apply_retention_quietly(store, cfg))))
            try:
                line = status_line(
                    store,
                    state,
                    note,
                    delivery_state=notifier.state if notifier else None,
                    since=started_at - dt.timedelta(days=1),
                )
            except (StoreUnavailable, sa.exc.OperationalError) as exc:
                line = f"history store unavailable ({_store_error(exc)}) | monitor {state} | {note}"
            print(("\r\033[K" if tty else "") + line, end="" if tty else "\n", file=out, flush=True)
            stop.wait(max(0.0, interval - (time.monotonic() - started)))
    finally:
        print("" if not tty else "\n", end="", file=out)
        print("stopping: " + ("delivery, " if notifier else "") + "monitor…", file=out, flush=True)
        stopping = time.monotonic()
        if notifier is not None:
            notifier.request_stop()  # both wind down at once
        monitor.stop()
        if notifier is not None:
            notifier.join(max(0.1, 1.0 - (time.monotonic() - stopping)))
        try:
            print(pending_summary(store), file=out, flush=True)
        except (StoreUnavailable, sa.exc.SQLAlchemyError) as exc:
            print(f"could not read what is pending ({_store_error(exc)})", file=out, flush=True)
        if emulator is not None:
            emulator.stop()
        store.close()
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        print("stopped cleanly", file=out, flush=True)
    return 0
