"""Google's Pub/Sub emulator, started and stopped from Python.

The emulator ships with the Google Cloud CLI (component
``pubsub-emulator``, Debian package ``google-cloud-cli-pubsub-emulator``) and
needs Java. ``gcloud beta emulators pubsub start`` wraps a launcher script in
the SDK; ``PubSubEmulator`` runs that launcher directly, which starts faster
and can be stopped by process group. It keeps nothing across restarts, so
topics and subscriptions are created after every start
(``pubsub.admin.ensure_resources``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import Self

from mentionwatch.processes import stop_process_group

_log = logging.getLogger(__name__)


class EmulatorError(RuntimeError):
    """The emulator is missing or did not start; the message says what to install."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_launcher() -> list[str]:
    """The command that starts the emulator, preferring the launcher script."""
    override = os.environ.get("MENTIONWATCH_PUBSUB_EMULATOR")
    if override:
        return [override]
    gcloud = shutil.which("gcloud")
    if not gcloud:
        raise EmulatorError(
            "the Pub/Sub emulator needs the Google Cloud CLI: install it with the "
            "'google-cloud-cli' and 'google-cloud-cli-pubsub-emulator' packages "
            "(https://cloud.google.com/sdk/docs/install), plus Java 11 or newer"
        )
    if not shutil.which("java"):
        raise EmulatorError(
            "the Pub/Sub emulator needs Java 11 or newer on PATH (e.g. apt-get install default-jre)"
        )
    candidates = []
    try:
        root = subprocess.run(
            [gcloud, "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        candidates.append(pathlib.Path(root))
    except (subprocess.SubprocessError, OSError):
        pass
    candidates.append(pathlib.Path(os.path.realpath(gcloud)).parent.parent)
    for root in candidates:
        launcher = root / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
        if launcher.is_file():
            return [str(launcher)]
    return [gcloud, "beta", "emulators", "pubsub", "start"]


class PubSubEmulator:
    """A running emulator on ``host:port``; use as a context manager.

    Args:
      host: interface to bind (127.0.0.1: nothing outside this machine can reach it).
      port: port to bind; 0 picks a free one.
      project: the project id clients will use.
      startup_timeout: seconds to wait for "Server started".
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        project: str = "mentionwatch-local",
        startup_timeout: float = 60.0,
    ):
        self.host = host
        self.port = port or free_port()
        self.project = project
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None
        self._log_file = None

    @property
    def endpoint(self) -> str:
        """``HOST:PORT`` for clients (``emulator_host`` everywhere else)."""
        return f"{self.host}:{self.port}"

    def _check_port_free(self) -> None:
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                raise EmulatorError(
                    f"port {self.port} on {self.host} is already in use "
                    "(another emulator or watch still running?"
                    f" see: ss -ltnp 'sport = :{self.port}'); stop it, "
                    "or set pubsub.emulator_host to a free port"
                ) from None

    def start(self) -> PubSubEmulator:
        """Starts the emulator and waits until it accepts connections; returns self.

        Raises:
          EmulatorError: the port is taken, no launcher is installed, or the
            emulator exited or did not start in time (with its log's tail).
        """
        self._check_port_free()
        command = find_launcher()
        if command[-1] == "start":  # the gcloud wrapper takes one flag
            command += [f"--host-port={self.endpoint}", f"--project={self.project}"]
        else:
            command += [f"--host={self.host}", f"--port={self.port}"]
        # Kept open for the emulator's whole life (its stdout); closed in stop().
        self._log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="pubsub-emulator-", suffix=".log", delete=False
        )
        _log.info("starting the Pub/Sub emulator on %s", self.endpoint)
        self._process = subprocess.Popen(
            command,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + self.startup_timeout
        log_path = pathlib.Path(self._log_file.name)
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                tail = self._tail(log_path)
                self.stop()
                raise EmulatorError(f"the Pub/Sub emulator exited at start:\n{tail}")
            if (
                "Server started" in log_path.read_text(errors="replace")
                and self._accepts_connections()
            ):
                return self
            time.sleep(0.2)
        tail = self._tail(log_path)  # before stop(), which removes the log
        self.stop()
        raise EmulatorError(
            f"the Pub/Sub emulator did not start within {self.startup_timeout:g} s:\n{tail}"
        )

    def _accepts_connections(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection((self.host, self.port), timeout=1),
        ):
            return True
        return False

    @staticmethod
    def _tail(path: pathlib.Path, lines: int = 20) -> str:
        try:
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no emulator log)"

    def stop(self) -> None:
        """Stops the emulator (SIGTERM, then SIGKILL after 10 s) and removes its log."""
        process, self._process = self._process, None
        if process is None:
            return
        stop_process_group(process, signal.SIGTERM, timeout=10)
        if self._log_file is not None:
            self._log_file.close()
            with contextlib.suppress(OSError):
                os.unlink(self._log_file.name)
            self._log_file = None

    @property
    def running(self) -> bool:
        """Whether the emulator process is alive."""
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
