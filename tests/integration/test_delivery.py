"""Every alert reaches the person, and the store shows that it did (issue 14).

Real processes against the real Pub/Sub emulator: ``watch`` with delivery
inside it, ``notify`` started, stopped, killed and started again, ``pubsub
pull`` run in between. Alerts are recorded and published the way the
monitor does it (``HistoryStore.record_alerts``, ``AlertPublisher``,
``mark_published``), except in the first test, where the whole pipeline
runs with the shipped model.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import THREAT_A, THREAT_B, LiveFeed

from mentionwatch.config import load_config
from mentionwatch.notify import delivery
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.pubsub.emulator import PubSubEmulator, free_port
from mentionwatch.pubsub.publish import AlertPublisher
from mentionwatch.records import Alert
from mentionwatch.store import HistoryStore

pytestmark = [pytest.mark.integration]

ABUSE = "I know where you live and I will hurt you"
NOTIFY = """
notify:
  recipients:
    - name: dana
      role: subject
      channels: [{type: file, directory: notifications}]
  delivery: {reconcile_interval_s: 1, reconcile_after_s: 2, flush_interval_s: 1}
"""


def write_config(tmp_path: pathlib.Path, port: int, name: str, extra: str = "") -> str:
    path = tmp_path / "config.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            subjects:
              - name: Dana Reyes
                known_content:
                  - title: "Dana Reyes - Hotel Room Tape"
                    released: 2019-03-14
            pubsub:
              project: mentionwatch-test
              emulator: true
              emulator_host: 127.0.0.1:{port}
              topics: {{alerts: {name}-alerts, items: {name}-items, dead_letters: {name}-dead}}
              subscriptions: {{alerts: {name}-alerts-notify, items: {name}-items-sub}}
            store:
              url: sqlite:///history.db
            """
        )
        + textwrap.dedent(NOTIFY)
        + textwrap.dedent(extra)
    )
    load_config(path)  # the test's own config must be valid
    return str(path)


def alert(alert_id: str) -> Alert:
    return Alert(
        alert_id=alert_id,
        subject="Dana Reyes",
        label="harassment",
        harassment_type="threat",
        severity="critical",
        item_id=f"it_{alert_id}",
        mention_id=f"mn_{alert_id}",
        url=f"https://forum.example/{alert_id}",
        source="Corner Forum",
        title="",
        excerpt=ABUSE,
        published_at="2026-12-03T10:00:00Z",
        created_at="2026-12-03T10:00:05Z",
        scores={"harassment": 0.97},
        model_id="test",
        model_version="1",
    )


def publish_like_the_monitor(config: str, host: str, *alerts: Alert) -> None:
    """Records the alerts in the store, publishes them, marks them published: what the monitor
    does."""
    loaded = load_config(config)
    settings = loaded.config.pubsub
    store = HistoryStore(loaded.config.store.url)
    try:
        store.record_alerts(list(alerts))
        publisher = AlertPublisher(settings.topic_path(settings.topics.alerts), host)
        sent, failed = publisher.publish(list(alerts))
        publisher.close()
        assert not failed
        store.mark_published(sent)
    finally:
        store.close()


def notifications(tmp_path: pathlib.Path) -> list[pathlib.Path]:
    return sorted((tmp_path / "notifications" / "dana").glob("immediate-*.txt"))


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:g} s")


def start(tmp_path: pathlib.Path, *args: str, name: str = "out") -> subprocess.Popen:
    env = dict(os.environ, MENTIONWATCH_LOG_DIR=str(tmp_path))
    env.pop("PUBSUB_EMULATOR_HOST", None)  # the config names the emulator
    return subprocess.Popen(
        [sys.executable, "-m", "mentionwatch.cli", *args],
        env=env,
        cwd=tmp_path.parent,  # not the config's folder
        stdout=open(tmp_path / f"{name}.log", "w"),
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen, sig=signal.SIGINT, timeout: float = 30.0) -> float:
    started = time.monotonic()
    process.send_signal(sig)
    process.wait(timeout=timeout)
    return time.monotonic() - started


def states(config: str) -> dict[str, str]:
    loaded = load_config(config)
    store = HistoryStore(loaded.config.store.url)
    try:
        with store.engine.connect() as connection:
            return {a.alert_id: a.state for a in delivery.alert_deliveries(connection)}
    finally:
        store.close()


def drop_waiting_messages(config: str, host: str) -> None:
    """Empties the alerts subscription: from now on only the store knows about those alerts."""
    settings = load_config(config).config.pubsub
    subscriber = subscriber_client(host)
    path = settings.subscription_path(settings.subscriptions.alerts)
    try:
        subscriber.delete_subscription(request={"subscription": path}, timeout=10)
    finally:
        subscriber.close()
    ensure_resources(settings, host)


@pytest.mark.model
@pytest.mark.slow
def test_watch_delivers_a_threat_to_the_person_and_pubsub_pull_takes_nothing(tmp_path, feed_server):
    feed = LiveFeed()
    feed_server.routes["/live.xml"] = feed.route
    port = free_port()
    config = write_config(
        tmp_path,
        port,
        "wd",
        f"""
        sources:
          feeds:
            - url: {feed_server.url("/live.xml")}
              name: Live forum
        ingest: {{poll_interval_s: 1, host_min_interval_s: 0}}
        """,
    )
    watch = start(tmp_path, "watch", config, "--emulator", name="watch")
    try:
        feed.add("t0", THREAT_B)  # the first alert also waits for the monitor to load the model
        wait_for(lambda: len(notifications(tmp_path)) == 1, 240, "the first threat's notification")

        feed.add("t1", THREAT_A)
        appended = time.monotonic()
        pull = subprocess.run(
            [
                sys.executable,
                "-m",
                "mentionwatch.cli",
                "pubsub",
                "pull",
                config,
                "--json",
                "--wait",
                "3",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert pull.returncode == 0, pull.stderr
        assert (
            "kill you" not in pull.stdout and "where you live" not in pull.stdout
        )  # masked, in --json too
        wait_for(
            lambda: len(notifications(tmp_path)) == 2,
            15 - (time.monotonic() - appended),
            "the second threat",
        )
        # The status line (one per poll) counts what reached a person.
        wait_for(
            lambda: "delivered 2" in (tmp_path / "watch.log").read_text(),
            30,
            "the status line's count",
        )
    finally:
        seconds = stop(watch)
    output = (tmp_path / "watch.log").read_text()
    assert watch.returncode == 0, output[-3000:]
    assert seconds <= 3.0, f"watch took {seconds:.1f} s to stop"
    assert "nothing pending" in output and "stopped cleanly" in output
    files = notifications(tmp_path)
    assert len(files) == 2 and all(
        "kill" not in f.read_text() for f in files
    )  # the text stays hidden
    assert sorted(states(config).values()) == ["delivered", "delivered"]


def test_notify_stopped_and_started_between_two_publishes_delivers_both_exactly_once(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, "nr")
    with PubSubEmulator(port=port, project="mentionwatch-test") as emulator:
        ensure_resources(load_config(config).config.pubsub, emulator.endpoint)
        notify = start(tmp_path, "notify", config, name="notify1")
        try:
            publish_like_the_monitor(config, emulator.endpoint, alert("al_first"))
            wait_for(lambda: len(notifications(tmp_path)) == 1, 30, "the first alert")
        finally:
            stop(notify, signal.SIGTERM)
        publish_like_the_monitor(config, emulator.endpoint, alert("al_second"))  # nobody listening
        notify = start(tmp_path, "notify", config, name="notify2")
        try:
            wait_for(lambda: len(notifications(tmp_path)) == 2, 30, "the second alert")
            time.sleep(4)  # a duplicate would arrive now
        finally:
            stop(notify, signal.SIGTERM)
    assert [f.name for f in notifications(tmp_path)] == [
        "immediate-al_first.txt",
        "immediate-al_second.txt",
    ]
    assert states(config) == {"al_first": "delivered", "al_second": "delivered"}
    printed = (tmp_path / "notify1.log").read_text() + (tmp_path / "notify2.log").read_text()
    assert "immediate al_first → dana via file: sent" in printed  # one line per delivery …
    assert "immediate al_second → dana via file: sent" in printed
    assert ABUSE not in printed  # … that never shows the text


def test_a_killed_delivery_side_delivers_every_published_alert_once_from_the_store_alone(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, "nk")
    with PubSubEmulator(port=port, project="mentionwatch-test") as emulator:
        ensure_resources(load_config(config).config.pubsub, emulator.endpoint)
        notify = start(tmp_path, "notify", config, name="notify1")
        publish_like_the_monitor(config, emulator.endpoint, alert("al_a"))
        wait_for(lambda: len(notifications(tmp_path)) == 1, 30, "the first alert")
        notify.kill()  # SIGKILL: no chance to clean up
        notify.wait(timeout=10)
        publish_like_the_monitor(config, emulator.endpoint, alert("al_b"), alert("al_c"))
        drop_waiting_messages(
            config, emulator.endpoint
        )  # Pub/Sub forgets them: only the store knows
        assert states(config) == {"al_a": "delivered", "al_b": "published", "al_c": "published"}

        notify = start(tmp_path, "notify", config, name="notify2")
        try:
            wait_for(lambda: len(notifications(tmp_path)) == 3, 30, "the two alerts Pub/Sub lost")
            time.sleep(3)
        finally:
            stop(notify, signal.SIGTERM)
    assert [f.name for f in notifications(tmp_path)] == [f"immediate-al_{x}.txt" for x in "abc"]
    assert states(config) == {"al_a": "delivered", "al_b": "delivered", "al_c": "delivered"}
    status = subprocess.run(
        [sys.executable, "-m", "mentionwatch.cli", "alerts", "status", config, "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )
    assert status.returncode == 0, status.stderr
    assert "3 delivered" in status.stdout and "dana (file: sent)" in status.stdout
    assert ABUSE not in status.stdout


def test_watch_says_pubsub_is_unreachable_within_5_s_and_stops_within_3_s(tmp_path):
    port = free_port()  # nothing listens there
    config = write_config(tmp_path, port, "nu")
    started = time.monotonic()
    watch = start(tmp_path, "watch", config, "--interval", "2", name="watch")
    try:
        wait_for(
            lambda: "Pub/Sub unreachable at" in (tmp_path / "watch.log").read_text(),
            5,
            "the unreachable line",
        )
        assert time.monotonic() - started <= 5.5
        # Then the loop runs (its status line says so too), and SIGINT must stop it promptly.
        wait_for(
            lambda: "| monitor" in (tmp_path / "watch.log").read_text(), 60, "the first status line"
        )
    finally:
        seconds = stop(watch, timeout=20)
    output = (tmp_path / "watch.log").read_text()
    print(f"stopped in {seconds:.2f} s")
    assert seconds <= 3.0, f"watch took {seconds:.1f} s to stop after SIGINT:\n{output[-2000:]}"
    assert watch.returncode == 0 and "stopped cleanly" in output
    assert f"127.0.0.1:{port}" in output and "retrying every 2 s" in output


def test_read_only_commands_use_the_configs_store_from_any_folder_and_never_create_one(tmp_path):
    port = free_port()
    config = write_config(tmp_path, port, "ro")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for command in (
        ["history", config],
        ["alerts", "status", config],
        ["history", "sql", config, "SELECT 1"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "mentionwatch.cli", *command],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=elsewhere,
            check=False,
        )
        assert (
            result.returncode == 1
            and f"no history store at {tmp_path / 'history.db'}" in result.stderr
        ), command
    assert not (tmp_path / "history.db").exists() and not list(elsewhere.iterdir())

    publish_like_the_monitor_offline(config)
    result = subprocess.run(
        [sys.executable, "-m", "mentionwatch.cli", "alerts", "status", config],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=elsewhere,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "al_stored" in result.stdout and "published" in result.stdout and ABUSE not in result.stdout
    )


def publish_like_the_monitor_offline(config: str) -> None:
    loaded = load_config(config)
    store = HistoryStore(loaded.config.store.url)
    try:
        store.record_alerts([alert("al_stored")])
        store.mark_published({"al_stored": "m-1"})
    finally:
        store.close()


def test_watch_emulator_on_a_taken_port_says_so_in_one_line(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, port, "pt")
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "mentionwatch.cli", "watch", config, "--emulator"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 3 and time.monotonic() - started < 30
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_sigterm_to_the_emulator_command_stops_its_java_child(tmp_path):
    import socket

    port = free_port()
    config = write_config(tmp_path, port, "st")
    emulator = start(tmp_path, "pubsub", "emulator", config, name="emulator")
    try:
        wait_for(
            lambda: "Pub/Sub emulator on" in (tmp_path / "emulator.log").read_text(),
            120,
            "the emulator",
        )
    finally:
        stop(emulator, signal.SIGTERM, timeout=30)
    assert emulator.returncode == 0 and "stopped" in (tmp_path / "emulator.log").read_text()

    def port_free() -> bool:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
            return True

    wait_for(port_free, 10, "the emulator's port to be released")
