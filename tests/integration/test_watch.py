"""``mentionwatch watch`` end to end: a live feed, the real emulator, the shipped model.

The feed is served on 127.0.0.1 and grows while the test runs; watch runs as
a real subprocess (monitor in its own process, ingest every second). The
second test kills the emulator mid-run and starts a new, empty one on the
same port, as a crashed broker would come back.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from helpers import THREAT_A, THREAT_B, LiveFeed

from mentionwatch.config import load_config
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.pubsub.emulator import PubSubEmulator, free_port

pytestmark = [pytest.mark.integration, pytest.mark.model, pytest.mark.slow]

PROMO = "NEW Dana Reyes Hotel Room Tape 2026 - full video leaked, watch free in HD now"
BENIGN = "Dana Reyes hosted a lovely charity softball game for the kids on Saturday."


def write_config(tmp_path, feed_url: str, port: int) -> str:
    path = tmp_path / "watch.yaml"
    path.write_text(
        textwrap.dedent(
            f"""
            subjects:
              - name: Dana Reyes
                known_content:
                  - title: "Dana Reyes - Hotel Room Tape"
                    released: 2019-03-14
            sources:
              feeds:
                - url: {feed_url}
                  name: Live forum
            pubsub:
              project: mentionwatch-watch
              emulator: true
              emulator_host: 127.0.0.1:{port}
            store:
              url: sqlite:///{tmp_path}/history.db
            alerts:
              burst_window_s: 3
            ingest:
              poll_interval_s: 1
              host_min_interval_s: 0
              redeliver_after_s: 20
            """
        )
    )
    load_config(path)  # the test's own config must be valid
    return str(path)


class Alerts:
    """Pulls the config's alerts subscription, remembering every message seen."""

    def __init__(self, config_path: str, host: str):
        settings = load_config(config_path).config.pubsub
        self.path = settings.subscription_path(settings.subscriptions.alerts)
        self.host = host
        self.received: list[dict] = []

    def pull(self) -> None:
        subscriber = subscriber_client(self.host)
        try:
            response = subscriber.pull(
                request={"subscription": self.path, "max_messages": 100}, timeout=3
            )
            if response.received_messages:
                for message in response.received_messages:
                    body = json.loads(message.message.data)
                    body["_received_at"] = time.time()
                    self.received.append(body)
                subscriber.acknowledge(
                    request={
                        "subscription": self.path,
                        "ack_ids": [m.ack_id for m in response.received_messages],
                    }
                )
        except Exception:  # noqa: BLE001 - the subscription may not exist yet, or the emulator is down
            time.sleep(0.5)
        finally:
            subscriber.close()

    def wait_for(self, predicate, timeout: float = 120.0) -> dict:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for alert in self.received:
                if predicate(alert):
                    return alert
            self.pull()
        raise AssertionError(
            f"no matching alert within {timeout:g} s; received {[a['url'] for a in self.received]}"
        )


def start_watch(config_path: str, host: str, tmp_path) -> subprocess.Popen:
    env = dict(os.environ, PUBSUB_EMULATOR_HOST=host, MENTIONWATCH_LOG_DIR=str(tmp_path))
    return subprocess.Popen(
        [sys.executable, "-m", "mentionwatch.cli", "watch", config_path],
        env=env,
        stdout=open(tmp_path / "watch.out", "w"),
        stderr=subprocess.STDOUT,
    )


def stop_watch(process: subprocess.Popen, tmp_path) -> str:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    output = (tmp_path / "watch.out").read_text()
    assert process.returncode == 0, output[-3000:]
    assert "stopped cleanly" in output
    return output


@pytest.fixture
def emulator_port():
    return free_port()


def test_watch_turns_new_feed_entries_into_the_right_alerts(tmp_path, feed_server, emulator_port):
    feed = LiveFeed()
    feed.add("a1", BENIGN)
    feed_server.routes["/live.xml"] = feed.route
    with PubSubEmulator(port=emulator_port, project="mentionwatch-watch") as emulator:
        config = write_config(tmp_path, feed_server.url("/live.xml"), emulator_port)
        watch = start_watch(config, emulator.endpoint, tmp_path)
        alerts = Alerts(config, emulator.endpoint)
        try:
            feed.add("t1", THREAT_A)
            threat = alerts.wait_for(lambda a: a["url"].endswith("/t1"))
            assert (threat["label"], threat["harassment_type"], threat["severity"]) == (
                "harassment",
                "threat",
                "critical",
            )
            for n in range(3):
                feed.add(f"p{n}", PROMO, title=f"Dana Reyes Hotel Room Tape mirror {n}")
            burst = alerts.wait_for(lambda a: a["label"] == "re_promotion")
            assert burst["kind"] == "burst" and burst["count"] == 3
            time.sleep(3)
            alerts.pull()
        finally:
            output = stop_watch(watch, tmp_path)
    urls = sorted(a["url"].rsplit("/", 1)[-1] for a in alerts.received)
    assert urls == ["p0", "t1"], (
        urls
    )  # one burst for the three mirrors; nothing for the benign post
    assert "items " in output and "sources 1 ok" in output


def test_emulator_restart_loses_no_alert_and_duplicates_none(tmp_path, feed_server, emulator_port):
    feed = LiveFeed()
    feed_server.routes["/live.xml"] = feed.route
    config = write_config(tmp_path, feed_server.url("/live.xml"), emulator_port)
    first = PubSubEmulator(port=emulator_port, project="mentionwatch-watch").start()
    host = first.endpoint
    watch = start_watch(config, host, tmp_path)
    alerts = Alerts(config, host)
    second = None
    try:
        feed.add("t1", THREAT_A)
        alerts.wait_for(lambda a: a["url"].endswith("/t1"))
        first.stop()  # the broker dies, with everything it held
        feed.add("t2", THREAT_B)  # appears while Pub/Sub is down
        time.sleep(4)
        second = PubSubEmulator(
            port=emulator_port, project="mentionwatch-watch"
        ).start()  # back, empty
        alerts.wait_for(lambda a: a["url"].endswith("/t2"), timeout=180)
        time.sleep(5)  # anything duplicated would arrive now
        for _ in range(3):
            alerts.pull()
    finally:
        stop_watch(watch, tmp_path)
        if second is not None:
            second.stop()
        first.stop()
    ids = [a["alert_id"] for a in alerts.received]
    assert sorted(a["url"].rsplit("/", 1)[-1] for a in alerts.received) == ["t1", "t2"]
    assert len(ids) == len(set(ids)) == 2
