"""The store on Dataflow workers (issue 17): one engine per process, pool limits, Cloud SQL
through the connector with IAM login, migrations only checked, SQLite refused off this machine."""

from __future__ import annotations

import threading
import time
import typing

import pytest
import sqlalchemy as sa

from mentionwatch.config import ConfigError, LoadedConfig, parse_config
from mentionwatch.jobs.preflight import (
    StoreRunnerError,
    check_store_for_runner,
    preflight,
    runner_from_args,
)
from mentionwatch.store import HistoryStore
from mentionwatch.store import engine as engines
from mentionwatch.store.engine import (
    CloudSqlTarget,
    StoreSchemaError,
    StoreTarget,
    dispose_engine,
    make_engine,
    shared_users,
)
from mentionwatch.store.migrate import current_revision, head_revision, upgrade
from mentionwatch.store.transform import _WriteDeadLettersFn, _WriteMentionsFn

SUBJECTS = "subjects:\n  - name: Dana Reyes\n"
CLOUD = CloudSqlTarget(
    "my-project:europe-west1:mentionwatch-history",
    "mentionwatch",
    "mentionwatch-pipeline@my-project.iam",
)


def _loaded(text: str) -> LoadedConfig:
    import pathlib

    return LoadedConfig(parse_config(SUBJECTS + text), pathlib.Path("/cfg/x.yaml"))


# --------------------------------------------------------------------------- one engine per process


def test_two_dofns_share_one_engine_and_closing_one_leaves_the_other_working(tmp_path):
    from mentionwatch.records import DeadLetter

    target = StoreTarget(url=f"sqlite:///{tmp_path}/h.db")
    mentions, letters = _WriteMentionsFn(target), _WriteDeadLettersFn(target)
    mentions.setup()
    letters.setup()
    try:
        assert mentions._store.engine is letters._store.engine
        assert shared_users(target) == 2
        mentions.teardown()
        assert shared_users(target) == 1
        written = list(letters.process([DeadLetter(stage="S", ref="r", error="e")]))
        assert len(written) == 1 and letters._store.count("dead_letters") == 1
        mentions.teardown()  # a second close of the same store gives nothing back twice
        assert shared_users(target) == 1
    finally:
        letters.teardown()
    assert shared_users(target) == 0


def test_threads_opening_a_store_get_the_same_engine(tmp_path):
    target = StoreTarget(url=f"sqlite:///{tmp_path}/h.db")
    HistoryStore(target).close()  # schema first, so the threads only share
    opened: list[HistoryStore] = []
    threads = [
        threading.Thread(target=lambda: opened.append(HistoryStore(target))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(store.engine) for store in opened}) == 1 and shared_users(target) == 8
    for store in opened:
        store.close()
    assert shared_users(target) == 0


def test_a_url_and_its_default_target_are_the_same_store(tmp_path):
    url = f"sqlite:///{tmp_path}/h.db"
    first, second = HistoryStore(url), HistoryStore(StoreTarget(url=url))
    try:
        assert first.engine is second.engine
    finally:
        first.close()
        second.close()


def test_a_store_pickles_as_its_target_and_reopens(tmp_path):
    import pickle

    target = StoreTarget(url=f"sqlite:///{tmp_path}/h.db")
    store = HistoryStore(target)
    copy = pickle.loads(pickle.dumps(store))
    try:
        assert copy.target == target and copy.engine is store.engine
    finally:
        copy.close()
        store.close()


# --------------------------------------------------------------------------- pool limits


def test_pool_limits_from_the_config_reach_the_engine():
    cfg = parse_config(
        SUBJECTS + "store:\n  url: postgresql+psycopg://mw@127.0.0.1:1/mw\n"
        "  pool_size: 3\n  max_overflow: 1\n  pool_timeout_s: 7\n"
    )
    target = cfg.store.target()
    assert (target.pool_size, target.max_overflow, target.max_connections) == (3, 1, 4)
    engine = make_engine(target)  # makes no connection
    try:
        assert engine.pool.size() == 3 and engine.pool._max_overflow == 1
        assert engine.pool.timeout() == 7
    finally:
        dispose_engine(engine)


def test_the_default_pool_is_small():
    target = parse_config(SUBJECTS + "store: {url: 'postgresql+psycopg://mw@db/mw'}\n").store
    assert target.pool_size + target.max_overflow == 5


@pytest.mark.integration
def test_a_process_never_holds_more_postgres_connections_than_configured(postgres_url):
    target = StoreTarget(url=postgres_url, pool_size=1, max_overflow=1, pool_timeout_s=30)
    HistoryStore(target).close()
    stores = [HistoryStore(target) for _ in range(6)]  # six DoFns of one worker process
    name = f"mentionwatch-{__import__('os').getpid()}"
    seen: list[int] = []
    admin = sa.create_engine(postgres_url)

    def busy(store):
        with store.transaction() as connection:
            connection.exec_driver_sql("SELECT pg_sleep(0.3)")

    def watch(stop):
        while not stop.is_set():
            with admin.connect() as c:
                seen.append(
                    c.execute(
                        sa.text(
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"
                        ),
                        {"n": name},
                    ).scalar_one()
                )
            time.sleep(0.05)

    stop = threading.Event()
    watcher = threading.Thread(target=watch, args=(stop,))
    watcher.start()
    threads = [threading.Thread(target=busy, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    for store in stores:
        store.close()
    admin.dispose()
    assert max(seen) == 2, seen  # the six threads did run at once, through two connections


# --------------------------------------------------------------------------- Cloud SQL connector


class FakeConnector:
    """Records what the engine asks of the Cloud SQL connector; connects where it is told."""

    made: typing.ClassVar[list[FakeConnector]] = []

    def __init__(self, connect=None, **kwargs):
        self.kwargs, self.calls, self.closed, self._connect = kwargs, [], False, connect
        FakeConnector.made.append(self)

    def connect(self, instance, driver, **kwargs):
        self.calls.append((instance, driver, kwargs))
        if self._connect is None:
            raise ConnectionRefusedError("fake connector: no database here")
        return self._connect()

    def close(self):
        self.closed = True


def test_the_connector_is_made_with_iam_auth_and_private_ip_and_called_for_the_instance():
    engine = make_engine(StoreTarget(cloud_sql=CLOUD, pool_size=4), connector_factory=FakeConnector)
    connector = FakeConnector.made[-1]
    assert connector.kwargs["enable_iam_auth"] is True and connector.kwargs["ip_type"] == "PRIVATE"
    with pytest.raises(ConnectionRefusedError):
        engine.connect()
    instance, driver, kwargs = connector.calls[0]
    assert (instance, driver) == ("my-project:europe-west1:mentionwatch-history", "pg8000")
    assert kwargs["user"] == "mentionwatch-pipeline@my-project.iam"
    assert kwargs["db"] == "mentionwatch" and kwargs["enable_iam_auth"] is True
    assert "password" not in kwargs and engine.pool.size() == 4
    dispose_engine(engine)
    assert connector.closed


def test_cloud_sql_config_becomes_a_target_with_checks_only():
    cfg = parse_config(
        SUBJECTS + "store:\n  cloud_sql:\n    instance: my-project:europe-west1:mw\n"
        "    iam_user: mentionwatch-pipeline@my-project.iam\n"
    )
    target = cfg.store.target()
    assert target.url is None and target.cloud_sql.ip_type == "private"
    assert target.auto_upgrade is False  # workers only check; `store upgrade` migrates
    assert cfg.store.scheme == "cloud_sql"
    assert parse_config(SUBJECTS).store.target().auto_upgrade is None  # url: as before


@pytest.mark.parametrize(
    "block, expected",
    [
        (
            (
                "store: {url: sqlite:///x.db, cloud_sql: {instance: 'my-project:us-central1:db', "
                "iam_user: a@my-project.iam}}"
            ),
            "either url or cloud_sql",
        ),
        ("store: {cloud_sql: {instance: 'mw-history', iam_user: a@p.iam}}", "PROJECT:REGION"),
        (
            (
                "store: {cloud_sql: {instance: 'my-project:us-central1:db', "
                "iam_user: sa@my-project.iam.gserviceaccount.com}}"
            ),
            "drops '.gserviceaccount.com'",
        ),
        (
            (
                "store: {cloud_sql: {instance: 'my-project:us-central1:db', iam_user: a@p.iam, "
                "ip_type: vpn}}"
            ),
            "private",
        ),
        ("store: {url: 'postgresql+psycopg://mw:hunter2@db/mw'}", "must not contain a password"),
        ("store: {url: sqlite:///x.db, password: DB_PASSWORD}", "for a PostgreSQL url"),
        ("store: {url: 'postgresql://mw@db/mw', pool_size: 0}", "greater than or equal to 1"),
    ],
)
def test_store_blocks_that_cannot_work_are_config_errors(block, expected):
    with pytest.raises(ConfigError) as caught:
        parse_config(SUBJECTS + block + "\n")
    assert expected in str(caught.value) and "hunter2" not in str(caught.value)
    assert "<config>:3: store" in str(caught.value)  # the line of the store block


@pytest.mark.integration
def test_cloud_sql_workers_check_and_the_deploy_step_upgrades(postgres_url):
    """The connector path end to end: a fake connector hands out pg8000 connections to the
    local PostgreSQL; a worker's open refuses a store that is behind and names the command;
    the upgrade through the same engine makes it current; the worker then opens it."""
    import pg8000.dbapi

    url = sa.engine.make_url(postgres_url)

    def to_local():
        return pg8000.dbapi.connect(
            user=url.username, host=url.host, port=url.port, database=url.database
        )

    def factory(**kwargs):
        return FakeConnector(connect=to_local, **kwargs)

    target = StoreTarget(cloud_sql=CLOUD, auto_upgrade=False)
    engine = engines.shared_engine(target, connector_factory=factory)  # what setup() will share
    try:
        with pytest.raises(StoreSchemaError, match="has no schema yet.*mentionwatch store upgrade"):
            HistoryStore(target)
        assert upgrade(engine) == (None, head_revision())  # `mentionwatch store upgrade`
        store = HistoryStore(target)
        with store.engine.connect() as connection:
            assert current_revision(connection) == head_revision()
        assert "cloudsql://mentionwatch-pipeline@my-project.iam@" in store.target.display()
        store.close()
    finally:
        engines.release_engine(target)
    assert FakeConnector.made[-1].closed


# ------------------------------------------------------------------------- SQLite off this machine


def test_sqlite_is_refused_for_dataflow_with_the_scheme_and_what_to_use():
    loaded = _loaded("store: {url: 'sqlite:///history.db'}\n")
    with pytest.raises(StoreRunnerError) as caught:
        check_store_for_runner(loaded, "DataflowRunner")
    message = str(caught.value)
    assert "sqlite:" in message and "DataflowRunner" in message
    assert "store.cloud_sql" in message and "postgresql" in message
    with pytest.raises(StoreRunnerError):  # preflight refuses it before touching anything
        preflight(loaded, None, runner="apache_beam.runners.dataflow.DataflowRunner")


@pytest.mark.parametrize("runner", [None, "DirectRunner", "PrismRunner", "BundleBasedDirectRunner"])
def test_sqlite_is_fine_on_this_machine(runner):
    check_store_for_runner(_loaded("store: {url: 'sqlite:///history.db'}\n"), runner)


def test_postgres_and_cloud_sql_are_fine_on_dataflow():
    check_store_for_runner(_loaded("store: {url: 'postgresql://mw@db/mw'}\n"), "DataflowRunner")
    check_store_for_runner(
        _loaded("store: {cloud_sql: {instance: 'my-project:us-central1:db', iam_user: a@p.iam}}\n"),
        "DataflowRunner",
    )


def test_the_runner_is_read_from_beam_arguments():
    assert runner_from_args(["--runner", "DataflowRunner", "--project", "p"]) == "DataflowRunner"
    assert runner_from_args(["--runner=FlinkRunner"]) == "FlinkRunner"
    assert runner_from_args(["--streaming"]) is None


def test_the_monitor_command_refuses_sqlite_for_dataflow(tmp_path, capsys):
    from mentionwatch.cli import main

    config = tmp_path / "c.yaml"
    config.write_text(
        SUBJECTS + "pubsub: {project: mentionwatch-test}\nstore: {url: 'sqlite:///h.db'}\n"
    )
    code = main(
        [
            "monitor",
            str(config),
            "--runner",
            "DataflowRunner",
            "--project",
            "p",
            "--region",
            "us-central1",
            "--temp_location",
            "gs://b/tmp",
        ]
    )
    err = capsys.readouterr().err
    assert code in (2, 3) and "sqlite:" in err and "store.cloud_sql" in err
    assert not (tmp_path / "h.db").exists()  # refused before anything was opened
