"""The two children ``mentionwatch watch`` keeps running: delivery and the monitor.

Each is restarted with backoff (1, 2, 4 … 30 s) when it stops. Neither
holds data that matters: items wait in the store's outbox until the monitor
confirms them, alerts in the store until ``notify`` has delivered them, so
stopping either at any moment loses nothing.
"""

from __future__ import annotations

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
from mentionwatch.processes import stop_process_group
from mentionwatch.pubsub.admin import PubSubUnavailable
from mentionwatch.store import StoreUnavailable

_log = logging.getLogger(__name__)


class DeliveryThread:
    """``notify``'s service loop in a thread of watch, restarted with backoff when it stops."""

    def __init__(self, loaded: LoadedConfig, host: str | None):
        self._loaded, self._host = loaded, host
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.state = "waiting for Pub/Sub"

    @property
    def started(self) -> bool:
        """Whether ``start`` has been called."""
        return self._thread is not None

    def start(self) -> DeliveryThread:
        """Starts the thread (once the alerts subscription exists); returns self."""
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        from mentionwatch.notify.channels import ChannelSetupError
        from mentionwatch.notify.run import run_notify

        failures = 0
        while not self._stop.is_set():
            self.state = "running"
            try:
                run_notify(self._loaded, self._host, stop=self._stop)
            except ChannelSetupError as exc:
                # A missing secret does not fix itself: say so and stop trying.
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
        """Asks delivery to stop: retries give up, the stream closes; ``join`` waits for it."""
        self._stop.set()

    def join(self, timeout: float = 1.0) -> None:
        """Waits up to ``timeout`` s for the thread to end."""
        if self._thread is not None:
            # A daemon thread: one stuck in a network call cannot hold the exit.
            self._thread.join(timeout)


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
        """How many times the monitor has exited and been restarted."""
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
            # Kept open for the monitor's whole life (its stdout); closed in stop().
            self._log = (
                open(self._log_path, "ab")  # noqa: SIM115
                if self._log_path
                else subprocess.DEVNULL
            )
        self._process = subprocess.Popen(
            self._command,
            env=self._env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return "starting"

    def stop(self, timeout: float = 1.0) -> None:
        """SIGINT, then SIGKILL after ``timeout`` s.

        The monitor keeps nothing: items wait in the outbox.
        """
        process, self._process = self._process, None
        if process is not None:
            stop_process_group(process, signal.SIGINT, timeout)
        if self._log not in (None, subprocess.DEVNULL):
            self._log.close()
        self._log = None
