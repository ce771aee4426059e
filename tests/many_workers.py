"""Harness of the many-workers test: monitor processes, a connection census, an alerts tap.

Kept out of the test module so the test reads as its story. Everything here
talks to 127.0.0.1 only: the Pub/Sub emulator and the throwaway PostgreSQL.
"""

from __future__ import annotations

import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import threading
import time

import sqlalchemy as sa

from mentionwatch.pubsub.clients import subscriber_client

OBSERVER = "mw-test-observer"


class Monitor:
    """``mentionwatch monitor CONFIG`` as its own process, named in ``pg_stat_activity``.

    The store names each process's connections ``mentionwatch-PID``
    (``store.engine``); ``PGAPPNAME`` (libpq's default ``application_name``)
    names them ``name`` should it not. ``owner()`` maps either back to
    ``name``; a connection it cannot map fails the test.
    """

    def __init__(self, name: str, config: str, host: str, folder: pathlib.Path):
        self.name = name
        self.log = folder / f"{name}.out"
        env = dict(os.environ, PUBSUB_EMULATOR_HOST=host, PGAPPNAME=name, PYTHONUNBUFFERED="1")
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mentionwatch.cli", "monitor", config],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a kill takes all of it
            )

    def output(self) -> str:
        """What the process has printed so far."""
        return self.log.read_text(errors="replace")

    def wait_running(self, timeout: float = 120.0) -> None:
        """Waits for 'monitor running'; fails with the output if the process dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "monitor running" in self.output():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited early:\n{self.output()[-3000:]}")
            time.sleep(0.2)
        raise AssertionError(
            f"{self.name} not running after {timeout:g} s:\n{self.output()[-3000:]}"
        )

    def kill(self) -> None:
        """SIGKILL to the monitor's process group: no cleanup, as a worker VM dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGINT (the monitor's Ctrl-C), then SIGKILL if it does not stop within 30 s."""
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def run_ingest(config: str, host: str, folder: pathlib.Path, pids: list[int]) -> str:
    """One ``mentionwatch ingest CONFIG`` run (it redelivers what the outbox still holds).

    Its process id is appended to ``pids``, so the census can tell its connections.
    """
    env = dict(os.environ, PUBSUB_EMULATOR_HOST=host, PGAPPNAME="mw-ingest")
    process = subprocess.Popen(
        [sys.executable, "-m", "mentionwatch.cli", "ingest", config],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids.append(process.pid)
    output, _ = process.communicate(timeout=180)
    with open(folder / "ingest.out", "a") as log:
        log.write(output)
    assert process.returncode == 0, f"ingest failed ({process.returncode}):\n{output[-3000:]}"
    return output


def run_republish(
    config: str, host: str, folder: pathlib.Path, pids: list[int], grace_s: float
) -> str:
    """One ``mentionwatch pubsub republish CONFIG --grace S``: the deployment's scheduled job.

    A monitor killed between recording an alert (``pending``) and publishing it
    has already confirmed its item, so no redelivery brings the alert back;
    the scheduled republish job sends what such a monitor left behind. Its
    process id is appended to ``pids``, so the census can tell its connections.
    """
    env = dict(os.environ, PUBSUB_EMULATOR_HOST=host, PGAPPNAME="mw-republish")
    process = subprocess.Popen(
        [sys.executable, "-m", "mentionwatch.cli", "pubsub", "republish", config]
        + ["--grace", str(grace_s)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pids.append(process.pid)
    output, _ = process.communicate(timeout=120)
    with open(folder / "republish.out", "a") as log:
        log.write(output)
    assert process.returncode == 0, f"republish failed ({process.returncode}):\n{output[-3000:]}"
    return output


def owner(application_name: str, names_by_pid: dict[int, str]) -> str | None:
    """Which of our processes a connection's ``application_name`` belongs to, if any.

    The store names its connections ``mentionwatch-PID``; without that, libpq
    uses ``PGAPPNAME``, which each process here is given as its own name.
    """
    if application_name in names_by_pid.values():
        return application_name
    prefix, _, pid = application_name.rpartition("-")
    if prefix == "mentionwatch" and pid.isdigit():
        return names_by_pid.get(int(pid))
    return None


class ConnectionCensus:
    """Polls ``pg_stat_activity`` of one database; keeps each application's peak count.

    Only client connections count (an autovacuum worker on the database
    shows up with an empty ``application_name``).
    """

    def __init__(self, url: str, every: float = 0.25):
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.NullPool, connect_args={"application_name": OBSERVER}
        )
        self.every = every
        self.peak: collections.Counter = collections.Counter()
        self.samples = 0
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        query = sa.text(
            "SELECT coalesce(application_name, ''), count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend' "
            "GROUP BY 1"
        )
        with self.engine.connect() as connection:
            while not self._stop.is_set():
                try:
                    counts = dict(connection.execute(query).all())
                    connection.rollback()
                except sa.exc.SQLAlchemyError as exc:
                    self.errors.append(str(exc))
                    return
                for name, count in counts.items():
                    self.peak[name] = max(self.peak[name], count)
                self.samples += 1
                self._stop.wait(self.every)

    def start(self) -> ConnectionCensus:
        """Starts polling in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stops polling and releases the observer's connection."""
        self._stop.set()
        self._thread.join(timeout=10)
        self.engine.dispose()


class AlertsTap:
    """Pulls (and acks) a subscription of the alerts topic made for the test alone."""

    def __init__(self, path: str, host: str):
        self.path = path
        self.host = host
        self.received: list[dict] = []

    def pull(self) -> int:
        """One pull; returns how many messages it brought."""
        subscriber = subscriber_client(self.host)
        try:
            response = subscriber.pull(
                request={"subscription": self.path, "max_messages": 500}, timeout=5
            )
            messages = response.received_messages
            for message in messages:
                body = json.loads(message.message.data)
                body["_attributes"] = dict(message.message.attributes)
                self.received.append(body)
            if messages:
                subscriber.acknowledge(
                    request={"subscription": self.path, "ack_ids": [m.ack_id for m in messages]}
                )
            return len(messages)
        finally:
            subscriber.close()

    def drain(self, quiet_s: float = 6.0) -> None:
        """Pulls until nothing has come for ``quiet_s`` seconds."""
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            if self.pull():
                last = time.monotonic()
            else:
                time.sleep(0.5)
