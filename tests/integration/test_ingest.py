"""The ingest job against a real HTTP server and the real Pub/Sub emulator."""

import json
import textwrap
import time

import pytest
import sqlalchemy as sa
from helpers import Route

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.ingest import run_ingest
from mentionwatch.messages import decode_items, encode_items
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.records import Item
from mentionwatch.store import HistoryStore, schema

pytestmark = pytest.mark.integration


def rss(*entries):
    items = "".join(
        f"<item><title>{t}</title><guid>{g}</guid><link>https://f.example/{g}</link>"
        f"<description>{t} body</description></item>"
        for g, t in entries
    )
    return f'<rss version="2.0"><channel><title>f</title>{items}</channel></rss>'.encode()


class CountingFeed:
    """Serves a feed with an ETag; counts full responses and 304s."""

    def __init__(self, body: bytes, etag: str = '"v1"'):
        self.body, self.etag = body, etag
        self.full = self.not_modified = 0

    def __call__(self, handler):
        if handler.headers.get("If-None-Match") == self.etag:
            self.not_modified += 1
            return Route(status=304, headers={"ETag": self.etag})
        self.full += 1
        return Route(self.body, headers={"ETag": self.etag, "Content-Type": "application/rss+xml"})


def config(tmp_path, name, emulator, feeds, redeliver_after_s=120, min_interval=0):
    feed_lines = "".join(f"\n    - url: {url}\n      name: {label}" for label, url in feeds)
    text = (
        textwrap.dedent(
            f"""
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/h.db
        pubsub:
          project: mentionwatch-test
          emulator: true
          emulator_host: {emulator.endpoint}
          topics: {{alerts: {name}-alerts, items: {name}-items, dead_letters: {name}-dead}}
          subscriptions: {{alerts: {name}-alerts-sub, items: {name}-items-sub}}
        ingest:
          host_min_interval_s: {min_interval}
          redeliver_after_s: {redeliver_after_s}
          max_attempts: 2
          items_per_message: 2
        """
        )
        + "sources:\n  feeds:"
        + feed_lines
        + "\n"
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    loaded = LoadedConfig(parse_config(text, str(path)), path)
    ensure_resources(loaded.config.pubsub, emulator.endpoint)
    settings = loaded.config.pubsub
    subscriber = subscriber_client(emulator.endpoint)
    try:  # the operator's view of the dead-letters topic, for the notices
        subscriber.create_subscription(
            request={
                "name": settings.subscription_path(f"{name}-dead-sub"),
                "topic": settings.topic_path(settings.topics.dead_letters),
            }
        )
    finally:
        subscriber.close()
    return loaded


def pull_notices(loaded, emulator) -> list[dict]:
    settings = loaded.config.pubsub
    name = settings.topics.dead_letters.removesuffix("-dead")
    subscriber = subscriber_client(emulator.endpoint)
    try:
        response = subscriber.pull(
            request={
                "subscription": settings.subscription_path(f"{name}-dead-sub"),
                "max_messages": 100,
            },
            timeout=10,
        )
        return [json.loads(m.message.data) for m in response.received_messages]
    finally:
        subscriber.close()


def drain(loaded, emulator) -> list[list[Item]]:
    settings = loaded.config.pubsub
    path = settings.subscription_path(settings.subscriptions.items)
    subscriber = subscriber_client(emulator.endpoint)
    messages = []
    try:
        while True:
            response = subscriber.pull(
                request={"subscription": path, "max_messages": 100}, timeout=5
            )
            if not response.received_messages:
                break
            for m in response.received_messages:
                messages.append((dict(m.message.attributes), decode_items(m.message.data)))
            subscriber.acknowledge(
                request={
                    "subscription": path,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
    finally:
        subscriber.close()
    return messages


def test_items_message_round_trip():
    items = [Item("a", "s", "u", "t", "x"), Item("b", "s", "u", "t", "y")]
    data, attributes = encode_items(items)
    assert decode_items(data) == items
    assert attributes["count"] == "2" and attributes["item_id"].startswith("batch-")
    _single, attrs = encode_items(items[:1])
    assert attrs["item_id"] == "a"
    # Any producer may publish a plain item in the --input shape.
    (pushed,) = decode_items(json.dumps({"id": "p1", "text": "hello"}).encode())
    assert (pushed.id, pushed.text) == ("p1", "hello")
    with pytest.raises(ValueError):
        decode_items(b"[1, 2]")


def test_new_items_are_published_once_and_unchanged_feeds_cost_no_parsing(
    tmp_path, pubsub_emulator, feed_server
):
    feed = CountingFeed(rss(("g1", "one"), ("g2", "two"), ("g3", "three")))
    feed_server.routes["/f.xml"] = feed
    loaded = config(tmp_path, "ing1", pubsub_emulator, [("F", feed_server.url("/f.xml"))])
    first = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (first.feeds_fetched, first.new_items, first.published) == (1, 3, 3)
    messages = drain(loaded, pubsub_emulator)
    assert sorted(len(items) for _, items in messages) == [1, 2]  # items_per_message: 2
    assert sorted(i.title for _, items in messages for i in items) == ["one", "three", "two"]

    second = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (second.not_modified, second.new_items, second.published) == (1, 0, 0)
    assert feed.full == 1 and feed.not_modified == 1  # the 304 was not parsed

    state = HistoryStore(loaded.config.store.url).feed_states([feed_server.url("/f.xml")])[
        feed_server.url("/f.xml")
    ]
    assert (
        state["etag"] == '"v1"' and state["consecutive_failures"] == 0 and state["items_total"] == 3
    )


def test_seen_items_are_dropped_when_a_feed_changes(tmp_path, pubsub_emulator, feed_server):
    feed = CountingFeed(rss(("g1", "one")))
    feed_server.routes["/f.xml"] = feed
    loaded = config(tmp_path, "ing2", pubsub_emulator, [("F", feed_server.url("/f.xml"))])
    run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    feed.body, feed.etag = rss(("g1", "one"), ("g2", "two")), '"v2"'
    summary = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (summary.new_items, summary.published) == (1, 1)


def test_failures_are_recorded_and_retry_after_is_honoured(tmp_path, pubsub_emulator, feed_server):
    feed_server.routes["/busy.xml"] = Route(
        b"slow down", status=429, headers={"Retry-After": "3600"}
    )
    feed_server.routes["/gone.xml"] = Route(b"", status=404)
    loaded = config(
        tmp_path,
        "ing3",
        pubsub_emulator,
        [("Busy", feed_server.url("/busy.xml")), ("Gone", feed_server.url("/gone.xml"))],
    )
    first = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (
        first.failed == 2 and first.dead_letters == {}
    )  # dead letters of PollFeeds are counted per stage below
    store = HistoryStore(loaded.config.store.url)
    assert store.count("dead_letters", stage="PollFeeds") == 2
    second = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (
        second.deferred == 1 and second.failed == 1
    )  # the 429 feed waits an hour; the 404 is tried again
    states = {s["name"]: s for s in store.all_feed_states()}
    assert (
        states["Gone"]["consecutive_failures"] == 2 and "HTTP 404" in states["Gone"]["last_error"]
    )
    assert states["Busy"]["next_fetch_at"] is not None


def test_politeness_spaces_requests_to_one_host(tmp_path, pubsub_emulator, feed_server):
    for n in range(3):
        feed_server.routes[f"/p{n}.xml"] = Route(rss((f"p{n}", f"post {n}")))
    feeds = [(f"P{n}", feed_server.url(f"/p{n}.xml")) for n in range(3)]
    loaded = config(tmp_path, "ing4", pubsub_emulator, feeds, min_interval=0.5)
    run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    stamps = [t for method, path, headers, t in feed_server.timed_requests if path.startswith("/p")]
    gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.45


def test_unconfirmed_items_are_redelivered_then_dead_lettered(
    tmp_path, pubsub_emulator, feed_server
):
    feed_server.routes["/f.xml"] = Route(rss(("g1", "one")))
    loaded = config(
        tmp_path, "ing5", pubsub_emulator, [("F", feed_server.url("/f.xml"))], redeliver_after_s=1
    )
    run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    time.sleep(1.1)  # redeliver_after_s: 1 and no monitor confirms anything
    again = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert again.redelivered == 1
    time.sleep(1.1)
    run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)  # max_attempts: 2 reached
    store = HistoryStore(loaded.config.store.url)
    assert store.count("dead_letters", stage="PublishItems") == 1
    assert [len(items) for _, items in drain(loaded, pubsub_emulator)] == [1, 1]
    # Given up is not processed: a monitor that is only slow still processes the item when it comes.
    (item_id,) = [
        r.ref
        for r in store.engine.connect().execute(
            sa.select(schema.dead_letters.c.ref).where(
                schema.dead_letters.c.stage == "PublishItems"
            )
        )
    ]
    assert store.processed_item_ids([item_id]) == set()
    time.sleep(1.1)
    assert (
        run_ingest(loaded, emulator_host=pubsub_emulator.endpoint).redelivered == 0
    )  # and it is not redelivered
    # The operator was told on the dead-letters topic.
    notices = pull_notices(loaded, pubsub_emulator)
    assert any(n.get("kind") == "items_given_up" and item_id in n["item_ids"] for n in notices)
