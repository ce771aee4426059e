"""Event-driven latency, entry to person, and monitor throughput (issues 4 and 14 targets).

1. Latency: ``mentionwatch watch`` (ingest, monitor and delivery in one
   command) runs as a subprocess against Google's Pub/Sub emulator and a feed
   served on 127.0.0.1; threats are appended to the feed one at a time. For
   each entry the feed server records when it first served it (the entry's
   own wait for the next poll ends there), and two arrivals are timed from
   that moment: its alert on a tap subscription of the alerts topic, and its
   notification file in the subject's folder (the ``file`` channel: the
   person has been told). Targets: p95 ≤ 2 s to the alert and ≤ 5 s to the
   person, beyond each entry's own wait.

2. Throughput: with the monitor running, N items (1% mention the subject)
   are recorded in the store's outbox, as ingest would, and published to the
   items topic; the rate is N / (time until the monitor has confirmed every
   item). Baseline in the same run: the same items published one per
   message, as a naive producer would. Target: ≥ 500 items/s on 2 cores.

Exits 1 when a target is missed. Run: ``.venv/bin/python benchmarks/latency.py
[--samples 20] [--items 20000]`` (about 4 minutes; uses the shipped model).
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import FeedServer, Route  # noqa: E402

from mentionwatch.config import load_config  # noqa: E402
from mentionwatch.messages import encode_items  # noqa: E402
from mentionwatch.pubsub.admin import ensure_resources  # noqa: E402
from mentionwatch.pubsub.clients import publisher_client, subscriber_client  # noqa: E402
from mentionwatch.pubsub.emulator import PubSubEmulator, free_port  # noqa: E402
from mentionwatch.records import Item, utc_now  # noqa: E402
from mentionwatch.store import HistoryStore  # noqa: E402

POLL_INTERVAL = 1.0
THREATS = [
    "Dana Reyes, I know where you live. Tonight I will come and kill you.",
    "Dana Reyes you will be dead by Friday, I will shoot you myself.",
    "I am going to find Dana Reyes and hurt her so badly she never walks again.",
    "Dana Reyes should sleep with one eye open, I'm coming to her house with a knife.",
]
NOISE = [
    "City council approves the new bike lanes on Main Street after a long debate.",
    "Recipe of the week: lentil soup with cumin, lemon and a lot of patience.",
    "The softball league announced its spring schedule for the under-12 teams.",
    "A quiet week for the markets as traders wait for the central bank decision.",
]


class LiveFeed:
    """A feed the benchmark appends to; remembers when each entry was first served."""

    def __init__(self):
        self.entries: list[tuple[str, str]] = []
        self.first_served: dict[str, float] = {}
        self.lock = threading.Lock()

    def add(self, guid: str, text: str) -> None:
        with self.lock:
            self.entries.append((guid, text))

    def route(self, handler) -> Route:
        with self.lock:
            now = time.time()
            for guid, _ in self.entries:
                self.first_served.setdefault(guid, now)
            items = "".join(
                f"<item><title>post</title><guid>{g}</guid><link>https://forum.example/{g}</link>"
                f"<pubDate>{email.utils.formatdate(usegmt=True)}</pubDate><description>{t}</description></item>"
                for g, t in self.entries
            )
        body = f'<rss version="2.0"><channel><title>live</title>{items}</channel></rss>'.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if handler.headers.get("If-None-Match") == etag:  # unchanged: nothing new was served
            return Route(status=304, headers={"ETag": etag})
        return Route(body, headers={"ETag": etag, "Content-Type": "application/rss+xml"})


class NotificationWatcher(threading.Thread):
    """Polls the subject's notification folder; records when each entry's notification appeared."""

    def __init__(self, folder: pathlib.Path):
        super().__init__(daemon=True)
        self.folder = folder
        self.arrivals: dict[str, float] = {}
        self.stop = threading.Event()
        self._seen: set[str] = set()

    def run(self):
        while not self.stop.wait(0.02):
            for path in self.folder.glob("immediate-*.txt") if self.folder.is_dir() else ():
                if path.name in self._seen:
                    continue
                now = time.time()
                self._seen.add(path.name)
                for word in path.read_text(errors="replace").split():
                    if word.startswith("https://forum.example/"):
                        self.arrivals.setdefault(word, now)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def wait_until(predicate, timeout: float, every: float = 0.1) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


class AlertReceiver(threading.Thread):
    """Streaming pull on the alerts subscription; records arrival time per URL."""

    def __init__(self, subscription: str, host: str):
        super().__init__(daemon=True)
        self.subscription, self.host = subscription, host
        self.arrivals: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self):
        subscriber = subscriber_client(self.host)
        while not self.stop.is_set():
            try:
                response = subscriber.pull(
                    request={"subscription": self.subscription, "max_messages": 100}, timeout=2
                )
            except Exception:  # noqa: BLE001 - the subscription may not exist yet
                time.sleep(0.2)
                continue
            now = time.time()
            for message in response.received_messages:
                self.arrivals.setdefault(json.loads(message.message.data)["url"], now)
            if response.received_messages:
                subscriber.acknowledge(
                    request={
                        "subscription": self.subscription,
                        "ack_ids": [m.ack_id for m in response.received_messages],
                    }
                )
        subscriber.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--items", type=int, default=20_000)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="mw-latency-"))
    feed = LiveFeed()
    server = FeedServer().start()
    server.routes["/live.xml"] = feed.route
    port = free_port()
    config_path = work / "bench.yaml"
    config_path.write_text(
        textwrap.dedent(
            f"""
            subjects:
              - name: Dana Reyes
            sources:
              feeds:
                - url: {server.url("/live.xml")}
                  name: Live forum
            pubsub:
              project: mentionwatch-bench
              emulator: true
              emulator_host: 127.0.0.1:{port}
            store:
              url: sqlite:///{work}/history.db
            ingest:
              poll_interval_s: {POLL_INTERVAL}
              host_min_interval_s: 0
              redeliver_after_s: 600
            notify:
              recipients:
                - name: dana
                  role: subject
                  channels: [{{type: file, directory: notifications}}]
            """
        )
    )
    settings = load_config(config_path).config.pubsub
    store = HistoryStore(f"sqlite:///{work}/history.db")
    print(
        f"mentionwatch latency benchmark; work dir {work}; poll interval {POLL_INTERVAL:g} s; "
        f"{os.cpu_count()} CPUs"
    )
    with PubSubEmulator(port=port, project=settings.project) as emulator:
        env = dict(
            os.environ, PUBSUB_EMULATOR_HOST=emulator.endpoint, MENTIONWATCH_LOG_DIR=str(work)
        )
        # A tap of its own on the alerts topic: the subscription notify reads must not be shared.
        # (Created before watch starts: nothing may fail between starting watch and the try that
        # stops it.)
        tap = settings.subscription_path("bench-alerts-tap")
        ensure_resources(settings, emulator.endpoint)
        subscriber_client(emulator.endpoint).create_subscription(
            request={"name": tap, "topic": settings.topic_path(settings.topics.alerts)}, timeout=30
        )
        watch = subprocess.Popen(
            [sys.executable, "-m", "mentionwatch.cli", "watch", str(config_path)],
            env=env,
            stdout=open(work / "watch.out", "w"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        receiver = AlertReceiver(tap, emulator.endpoint)
        receiver.start()
        told = NotificationWatcher(work / "notifications" / "dana")
        told.start()
        missed: list[str] = []
        try:
            # Warm up: the monitor loads the model and the first alert round-trips.
            feed.add("warm", THREATS[0])
            if not wait_until(lambda: "https://forum.example/warm" in told.arrivals, 300):
                print("warm-up notification never arrived; see", work)
                return 1
            waits, to_alert, to_person = [], [], []
            for n in range(args.samples):
                guid = f"t{n}"
                appended = time.time()
                feed.add(guid, f"{THREATS[n % len(THREATS)]} ({n})")
                url = f"https://forum.example/{guid}"
                if not wait_until(
                    lambda url=url: url in told.arrivals and url in receiver.arrivals,
                    60,
                    every=0.02,
                ):
                    print(f"sample {n}: not delivered within 60 s")
                    continue
                served = feed.first_served[guid]
                waits.append(served - appended)
                to_alert.append(receiver.arrivals[url] - served)
                to_person.append(told.arrivals[url] - served)
                time.sleep(0.37 * ((n * 7) % 3))  # vary the phase against the poll cycle
            print()
            print(
                "1. feed entry → alert → person "
                "(each entry timed from when the feed first served it)"
            )
            print(f"   samples                       {len(to_person)} of {args.samples}")
            print(
                f"   own wait for the next poll    median {statistics.median(waits):.2f} s"
                f"   max {max(waits):.2f} s"
                f"   (poll interval {POLL_INTERVAL:g} s)"
            )
            print(
                f"   served → alert published      median {statistics.median(to_alert):.2f} s"
                f"   p95 {percentile(to_alert, 0.95):.2f} s"
                "   (target p95 ≤ 2 s)"
            )
            print(
                f"   served → person notified      median {statistics.median(to_person):.2f} s"
                f"   p95 {percentile(to_person, 0.95):.2f} s"
                "   (target p95 ≤ 5 s; file channel, watch delivering)"
            )
            if len(to_person) < args.samples:
                missed.append(
                    f"{args.samples - len(to_person)} sample(s) not delivered within 60 s"
                )
            if percentile(to_alert, 0.95) > 2.0:
                missed.append("entry → alert p95 > 2 s")
            if percentile(to_person, 0.95) > 5.0:
                missed.append("entry → person p95 > 5 s")

            publisher = publisher_client(emulator.endpoint)
            topic = settings.topic_path(settings.topics.items)

            def throughput(label: str, per_message: int, count: int) -> float:
                stamp = f"{label}-{time.time_ns()}"
                items = [
                    Item(
                        f"{stamp}-{i}",
                        "bench",
                        f"https://bench.example/{stamp}/{i}",
                        "",
                        THREATS[i % 4] if i % 100 == 0 else NOISE[i % 4] + f" #{i}",
                        fetched_at=utc_now(),
                    )
                    for i in range(count)
                ]
                store.add_new_items(items)
                ids = [i.id for i in items]
                started = time.time()
                futures = []
                for start in range(0, count, per_message):
                    data, attributes = encode_items(items[start : start + per_message])
                    futures.append(publisher.publish(topic, data, **attributes))
                for future in futures:
                    future.result(timeout=120)

                def done() -> bool:
                    return (
                        sum(
                            len(store.processed_item_ids(ids[k : k + 900]))
                            for k in range(0, count, 900)
                        )
                        == count
                    )

                finished = wait_until(done, 600, every=0.5)
                elapsed = time.time() - started
                return count / elapsed if finished else float("nan")

            baseline = throughput("single", 1, min(2000, args.items))
            batched = throughput("batched", 100, args.items)
            print()
            print("2. monitor throughput (1% of items mention the subject)")
            print(
                f"   baseline: one item per message   {baseline:8.0f} items/s  "
                f"({min(2000, args.items)} items)"
            )
            print(
                f"   mentionwatch: 100 per message    {batched:8.0f} items/s  "
                f"({args.items} items)   (target ≥ 500)"
            )
            print(f"   speed-up                          {batched / baseline:8.1f}×")
            if not batched >= 500:
                missed.append("monitor throughput < 500 items/s")
        finally:
            receiver.stop.set()
            told.stop.set()
            watch.send_signal(signal.SIGINT)
            watch.wait(timeout=60)
            server.stop()
    for line in missed:
        print(f"TARGET MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
