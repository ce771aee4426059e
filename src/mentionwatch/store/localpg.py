"""A throwaway PostgreSQL server on 127.0.0.1, for tests, benchmarks and local work.

``LocalPostgres`` runs ``initdb`` into a temporary folder, starts the server on
a free port (TCP on 127.0.0.1 only, trust authentication, nothing else
listening) and removes everything on ``stop()``. PostgreSQL refuses to run as
root, so under root the server runs as the ``postgres`` system user (which
Debian's ``postgresql`` package creates), or as a ``mentionwatch-pg`` system
user created for the purpose.

From a shell (``infra/local/postgres.sh`` wraps this; ``.ci/run`` uses it)::

    eval "$(python -m mentionwatch.store.localpg start)"   # exports MENTIONWATCH_TEST_POSTGRES_URL
    python -m mentionwatch.store.localpg stop              # reads MENTIONWATCH_LOCALPG_DIR

``fast=True`` (the default for tests) turns off fsync and synchronous commit:
a crash loses the cluster, which is thrown away anyway. Benchmarks pass
``fast=False`` so the figures are those of a durable server.
"""

from __future__ import annotations

import argparse
import glob
import os
import pathlib
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from typing import Self

SUPERUSER = "postgres"
DATABASE = "mentionwatch"
FALLBACK_USER = "mentionwatch-pg"


class LocalPostgresError(RuntimeError):
    """The throwaway server could not be set up; the message says what is missing."""


def find_bin_dir() -> pathlib.Path:
    """The folder with ``initdb`` and ``pg_ctl`` (PATH first, then Debian's layout)."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return pathlib.Path(os.path.realpath(on_path)).parent
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(p.split("/")[4]),
        reverse=True,
    )
    if candidates:
        return pathlib.Path(candidates[0]).parent
    raise LocalPostgresError(
        "PostgreSQL server binaries not found (no pg_ctl/initdb on PATH or in "
        "/usr/lib/postgresql/*/bin); install them with: apt-get install -y postgresql"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _service_user() -> str | None:
    """The user the server runs as: None (ourselves) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, FALLBACK_USER):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        check=True,
        capture_output=True,
    )
    return FALLBACK_USER


class LocalPostgres:
    """One throwaway cluster. Use as a context manager, or ``start()``/``stop()``."""

    def __init__(
        self,
        directory: str | os.PathLike | None = None,
        *,
        port: int | None = None,
        fast: bool = True,
    ):
        self.base = pathlib.Path(directory) if directory else None
        self.port = port
        self.fast = fast
        self._user: str | None = None

    @property
    def data_dir(self) -> pathlib.Path:
        """The cluster's data folder (``data`` under its base folder, once there is one)."""
        assert self.base is not None
        return self.base / "data"

    def url(self, database: str = DATABASE) -> str:
        """The SQLAlchemy URL of ``database`` on this cluster, as its superuser."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        if self._user is not None:
            command = ("runuser", "-u", self._user, "--", *command)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            output = result.stderr.strip() or result.stdout.strip()
            raise LocalPostgresError(f"{' '.join(command)} failed ({result.returncode}): {output}")
        return result

    def start(self) -> str:
        """Creates and starts the cluster; returns the URL of its ``mentionwatch`` database."""
        bin_dir = find_bin_dir()
        self._user = _service_user()
        if self.base is None:
            self.base = pathlib.Path(tempfile.mkdtemp(prefix="mentionwatch-pg-"))
        self.base.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            entry = pwd.getpwnam(self._user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
            self.base.chmod(0o755)
        self.port = self.port or free_port()
        self._run(
            str(bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        )
        options = [
            f"-p {self.port}",
            "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.base}",
            "-c max_connections=200",
        ]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            " ".join(options),
            "start",
        )
        self.create_database(DATABASE)
        return self.url()

    def _admin(self):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        )

    def create_database(self, name: str) -> str:
        """Creates database ``name`` (retrying while the server starts, 30 s); returns its URL."""
        deadline = time.monotonic() + 30
        while True:
            try:
                with self._admin() as connection:
                    connection.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except Exception:  # noqa: BLE001 - the server may still be starting; retry until the deadline
                if time.monotonic() > deadline:
                    raise

    def stop(self) -> None:
        """Stops the cluster (when running) and deletes its folder."""
        if self.base is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            self._user = self._user if self._user is not None else _service_user()
            self._run(
                str(find_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"
            )
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``start`` or ``stop`` a cluster from the shell; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m mentionwatch.store.localpg", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a cluster; print shell export lines")
    start.add_argument("--dir", help="folder for the cluster (default: a new temporary folder)")
    start.add_argument("--durable", action="store_true", help="keep fsync on (for benchmarks)")
    stop = commands.add_parser("stop", help="stop a cluster and delete its folder")
    stop.add_argument("--dir", default=os.environ.get("MENTIONWATCH_LOCALPG_DIR"))
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            server = LocalPostgres(args.dir, fast=not args.durable)
            url = server.start()
            print(f"export MENTIONWATCH_TEST_POSTGRES_URL={url}")
            print(f"export MENTIONWATCH_LOCALPG_DIR={server.base}")
        else:
            if not args.dir:
                parser.error("stop needs --dir (or MENTIONWATCH_LOCALPG_DIR)")
            directory = pathlib.Path(args.dir)
            if not (directory / "data").is_dir():
                print(f"{directory}: no cluster there", file=sys.stderr)
                return 1
            LocalPostgres(directory).stop()
    except LocalPostgresError as exc:
        print(f"localpg: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
