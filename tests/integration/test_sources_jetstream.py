"""Bluesky Jetstream against a local WebSocket server replaying SYNTHETIC frames
(tests/data/sources).

No real Jetstream capture with a clear licence exists; the frames follow the
documented v1 ``/subscribe`` commit shape (see tests/data/sources/README.md).
The server drops the connection after the first frames, and the producer must
come back with the last cursor.
"""

import json
import pathlib
import textwrap
import threading
import urllib.parse

import pytest

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.messages import decode_items
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.sources.base import SourceSpec
from mentionwatch.sources.jetstream import (
    JetstreamProducer,
    event_to_entry,
    parse_event,
    subscribe_url,
)
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.integration

FRAMES = (
    (pathlib.Path(__file__).resolve().parents[1] / "data/sources/synthetic-jetstream-events.jsonl")
    .read_text()
    .splitlines()
)
DROP_AFTER = 3  # frames sent on the first connection before it is dropped


class JetstreamServer:
    """A WebSocket server on 127.0.0.1: replays FRAMES from the requested cursor (inclusive)."""

    def __init__(self):
        from websockets.sync.server import serve

        self.paths: list[str] = []
        self._server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        host, port = self._server.socket.getsockname()[:2]
        self.url = f"ws://{host}:{port}/subscribe"

    def _handle(self, connection):
        self.paths.append(connection.request.path)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(connection.request.path).query))
        cursor = int(query["cursor"]) if "cursor" in query else None
        first = len(self.paths) == 1
        sent = 0
        for frame in FRAMES:
            time_us = frame.split('"time_us": ')[1].split(",")[0] if '"time_us"' in frame else None
            if cursor is not None and time_us is not None and int(time_us) < cursor:
                continue
            connection.send(frame)
            sent += 1
            if first and sent == DROP_AFTER:
                return  # drop the stream: the client must reconnect from its cursor
        from websockets.exceptions import ConnectionClosed

        try:
            connection.recv()  # stay open until the client leaves
        except ConnectionClosed:
            pass

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()


def test_parse_and_entries():
    event = parse_event(FRAMES[2])
    assert (event.kind, event.operation, event.collection, event.cursor) == (
        "commit",
        "create",
        "app.bsky.feed.post",
        1763800000000003,
    )
    spec = SourceSpec("ws://x/subscribe", "jet", "jetstream")
    entry = event_to_entry(event, spec, "ref", "2026-11-22T08:00:00Z")
    assert (
        entry.guid
        == "bluesky:at://did:plc:syntheticccccccccccccccc/app.bsky.feed.post/3m5cccccccc2c"
    )
    assert "https://tube.example/v/1903" in entry.body  # the facet's target, after the 4-byte emoji
    assert event_to_entry(parse_event(FRAMES[1]), spec, "r", "t") is None  # a like
    assert event_to_entry(parse_event(FRAMES[3]), spec, "r", "t") is None  # an identity event
    with pytest.raises(ValueError):
        parse_event(FRAMES[6])
    assert subscribe_url(
        "wss://j.example/subscribe",
        collections=["app.bsky.feed.post"],
        dids=["did:plc:a"],
        cursor=7,
    ) == (
        "wss://j.example/subscribe?wantedCollections=app.bsky.feed.post&wantedDids=did%3Aplc%3Aa&cursor=7"
    )


def test_reconnects_with_the_last_cursor_and_loses_nothing(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/j.db")
    published = []
    with JetstreamServer() as server:
        spec = SourceSpec(server.url, "Jetstream", "jetstream")
        producer = JetstreamProducer(
            spec,
            store,
            published.extend,
            batch_size=2,
            batch_wait_s=0.2,
            reconnect_initial_s=0.05,
            reconnect_max_s=0.1,
        )
        report = producer.run(threading.Event(), max_events=DROP_AFTER + len(FRAMES) - 2)

    assert report.connections == 2
    assert (
        "cursor" not in server.paths[0]
        and "wantedCollections=app.bsky.feed.post" in server.paths[0]
    )
    assert "cursor=1763800000000003" in server.paths[1]  # the last event read before the drop
    # Frame 3 came twice (the cursor is inclusive); one item each, the like/identity skipped,
    # the malformed date and the non-JSON frame dead-lettered.
    texts = sorted(item.text for item in published)
    assert len(texts) == 4 and len({item.id for item in published}) == 4
    assert texts[0].startswith("a post") is False and any("full video" in t for t in texts)
    assert store.count("dead_letters", stage="Jetstream") == 2
    state = store.feed_states([server.url])[server.url]
    assert (
        state["cursor"] == "1763800000000008"
        and state["kind"] == "jetstream"
        and state["items_total"] == 4
    )
    assert state["consecutive_failures"] == 0  # the drop was recorded, then a success reset it

    # A restart resumes from the stored cursor.
    again = JetstreamProducer(spec, store, published.extend)
    assert again.url().endswith("cursor=1763800000000008")


def test_the_command_publishes_to_the_items_topic(tmp_path, pubsub_emulator):
    from mentionwatch.sources.jetstream import run_jetstream

    with JetstreamServer() as server:
        text = textwrap.dedent(
            f"""
            subjects: [{{name: Dana Reyes}}]
            store: {{url: "sqlite:///{tmp_path}/c.db"}}
            pubsub:
              project: mentionwatch-test
              emulator: true
              emulator_host: {pubsub_emulator.endpoint}
              topics: {{alerts: js-alerts, items: js-items, dead_letters: js-dead}}
              subscriptions: {{alerts: js-alerts-sub, items: js-items-sub}}
            sources:
              jetstream: {{url: "{server.url}", batch_wait_s: 0.2, reconnect_initial_s: 0.05}}
            """
        )
        path = tmp_path / "c.yaml"
        path.write_text(text)
        loaded = LoadedConfig(parse_config(text, str(path)), path)
        ensure_resources(loaded.config.pubsub, pubsub_emulator.endpoint)
        report = run_jetstream(
            loaded,
            emulator_host=pubsub_emulator.endpoint,
            stop=threading.Event(),
            max_events=DROP_AFTER + len(FRAMES) - 2,
        )
    assert report.published == 4
    settings = loaded.config.pubsub
    subscriber = subscriber_client(pubsub_emulator.endpoint)
    try:
        response = subscriber.pull(
            request={
                "subscription": settings.subscription_path("js-items-sub"),
                "max_messages": 10,
            },
            timeout=10,
        )
    finally:
        subscriber.close()
    items = [i for m in response.received_messages for i in decode_items(m.message.data)]
    assert len(items) == 4 and all(
        i.url.startswith("https://bsky.app/profile/did:plc:synthetic") for i in items
    )


def test_a_frame_of_the_wrong_shape_is_a_dead_letter_not_an_endless_reconnect(tmp_path):
    frame = json.loads(FRAMES[2])
    frame["commit"]["record"]["facets"] = [{"index": {"byteStart": 0, "byteEnd": 4}, "features": 7}]
    spec = SourceSpec("ws://x/subscribe", "jet", "jetstream")
    producer = JetstreamProducer(spec, HistoryStore(f"sqlite:///{tmp_path}/j.db"), [].extend)
    pending, letters = [], []
    assert producer._take(json.dumps(frame), pending, letters, 5) == 5  # read on, cursor unchanged
    assert pending == [] and len(letters) == 1 and letters[0].error.startswith("TypeError")
