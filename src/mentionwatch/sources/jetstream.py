"""Bluesky in real time: Jetstream (WebSocket) → the items topic.

Jetstream re-broadcasts the AT Protocol firehose as JSON. This is a
long-running producer (``mentionwatch sources jetstream CONFIG``), not part
of the batch ingest: a WebSocket stream has no pages to poll, and the items
topic is open to any producer (docs/event-driven.md). It reads the v1
``/subscribe`` endpoint::

    wss://jetstream2.us-east.bsky.network/subscribe?wantedCollections=app.bsky.feed.post
        [&wantedDids=did:plc:…]*[&cursor=<time_us>]

and for each ``commit`` event that creates or updates an ``app.bsky.feed.post``
builds the same entry as the Bluesky API source (same item id: ``bluesky`` +
the ``at://`` URI, so a post seen both ways is one item). Every
``batch_size`` events or ``batch_wait_s`` seconds it:

1. normalises the entries (a bad one is a dead letter, stage ``Jetstream``);
2. records the new ones in the store's outbox (seen ids are dropped);
3. only then stores the cursor (the last event's ``time_us``) in
   ``feed_state``, so a crash replays events rather than losing them;
4. publishes the new items to the items topic and marks them published (if
   Pub/Sub refuses, they stay in the outbox and the next ``ingest`` run
   publishes them).

When the connection drops (or never opens), it reconnects with backoff
(``reconnect_initial_s`` doubling to ``reconnect_max_s``) and the last cursor,
so the server replays what was missed; overlap is dropped by the seen-id
check. Failures are recorded as the source's health like any poll.

Frames in the older pre-release shape (``type: "com"``, ``commit.type: "c"``)
are read too; identity and account events are skipped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mentionwatch.ids import sha256_hex
from mentionwatch.records import DeadLetter, Item, utc_now
from mentionwatch.sources.base import POST_ERRORS, SourceSpec
from mentionwatch.sources.bluesky import post_text, post_url
from mentionwatch.sources.entries import EntryError, RawEntry, deferred_timestamp, entry_to_item

_log = logging.getLogger(__name__)

POST = "app.bsky.feed.post"
_OPERATIONS = {"create": "create", "update": "update", "c": "create", "u": "update"}


@dataclasses.dataclass(frozen=True)
class JetstreamEvent:
    """The parts of one Jetstream frame mentionwatch uses."""

    cursor: int | None  # time_us: where to resume
    did: str
    kind: str  # commit | identity | account | ...
    operation: str | None = None
    collection: str | None = None
    rkey: str | None = None
    record: Mapping[str, Any] | None = None


def parse_event(frame: str | bytes) -> JetstreamEvent:
    """One text frame → event.

    Raises:
      ValueError: not JSON, or not a Jetstream event.
    """
    try:
        data = json.loads(frame)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"jetstream frame is not JSON: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("did"), str):
        raise ValueError("jetstream frame without a 'did'")  # noqa: TRY004 - a bad frame, not a bad call
    cursor = data.get("time_us")
    if not isinstance(cursor, int) or isinstance(cursor, bool):
        raise ValueError("jetstream frame without an integer 'time_us'")  # noqa: TRY004 - a bad frame
    kind = data.get("kind") or {"com": "commit", "id": "identity", "acc": "account"}.get(
        data.get("type"), data.get("type")
    )
    commit = data.get("commit") if isinstance(data.get("commit"), Mapping) else None
    if kind != "commit" or commit is None:
        return JetstreamEvent(cursor, data["did"], str(kind))
    record = commit.get("record") if isinstance(commit.get("record"), Mapping) else None
    return JetstreamEvent(
        cursor,
        data["did"],
        "commit",
        _OPERATIONS.get(commit.get("operation") or commit.get("type")),
        commit.get("collection"),
        commit.get("rkey"),
        record,
    )


def event_to_entry(
    event: JetstreamEvent, spec: SourceSpec, raw_ref: str, fetched_at: str
) -> RawEntry | None:
    """A created/updated post → entry (the same identity as the API source); else None."""
    if (
        event.kind != "commit"
        or event.collection != POST
        or event.operation not in ("create", "update")
    ):
        return None
    if event.record is None or not event.rkey:
        raise ValueError(f"post commit from {event.did} without a record or rkey")
    uri = f"at://{event.did}/{POST}/{event.rkey}"
    langs = event.record.get("langs")
    return RawEntry(
        source=spec.name,
        feed_url=spec.url,
        guid=f"bluesky:{uri}",
        link=post_url(uri, None),
        title="",
        body=post_text(event.record),
        author=event.did,
        published_at=deferred_timestamp(event.record.get("createdAt")),
        language=langs[0]
        if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None,
        raw_ref=raw_ref,
        fetched_at=fetched_at,
        id_scope="bluesky",
    )


def subscribe_url(base: str, *, collections, dids, cursor: int | None) -> str:
    """The ``/subscribe`` URL with the filters and the cursor to resume from."""
    params = [("wantedCollections", c) for c in collections] + [("wantedDids", d) for d in dids]
    if cursor is not None:
        params.append(("cursor", str(cursor)))
    parts = urllib.parse.urlsplit(base)
    query = urllib.parse.parse_qsl(parts.query) + params
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# --------------------------------------------------------------------------- the producer


@dataclasses.dataclass
class JetstreamReport:
    """Counts of one ``sources jetstream`` run, and where its cursor stands."""

    connections: int = 0
    events: int = 0
    posts: int = 0
    new_items: int = 0
    published: int = 0
    dead_letters: int = 0
    cursor: int | None = None

    def line(self) -> str:
        """The counts as one line for the command's output."""
        return (
            f"connections {self.connections}, events {self.events}, posts {self.posts}, "
            f"new items {self.new_items}, published {self.published}, "
            f"dead letters {self.dead_letters}, cursor {self.cursor}"
        )


class JetstreamProducer:
    """Reads Jetstream and feeds the outbox and the items topic (see the module docstring).

    Args:
      spec: the source (its ``url`` keys the cursor and health in ``feed_state``).
      store: a ``HistoryStore``.
      publish: ``publish(items) -> None`` (raises when Pub/Sub refuses).
      connect: ``connect(url)`` returning a context manager that yields a
        connection with ``recv(timeout)`` (websockets' sync client).
    """

    def __init__(
        self,
        spec: SourceSpec,
        store,
        publish,
        *,
        collections=(POST,),
        dids=(),
        batch_size: int = 100,
        batch_wait_s: float = 2.0,
        reconnect_initial_s: float = 1.0,
        reconnect_max_s: float = 60.0,
        connect=None,
        clock=time.monotonic,
    ):
        self.spec = spec
        self._store = store
        self._publish = publish
        self._collections = tuple(collections)
        self._dids = tuple(dids)
        self._batch_size = batch_size
        self._batch_wait_s = batch_wait_s
        self._backoff = (reconnect_initial_s, reconnect_max_s)
        self._connect = connect or _websocket_connect
        self._clock = clock
        self.report = JetstreamReport()
        state = store.feed_states([spec.url]).get(spec.url) or {}
        stored = state.get("cursor")
        self.report.cursor = int(stored) if isinstance(stored, str) and stored.isdigit() else None

    def url(self) -> str:
        """The subscribe URL for the configured collections and DIDs, from the cursor."""
        return subscribe_url(
            self.spec.url, collections=self._collections, dids=self._dids, cursor=self.report.cursor
        )

    def run(self, stop: threading.Event, max_events: int | None = None) -> JetstreamReport:
        """Streams until ``stop`` is set (or ``max_events`` were read); reconnects on errors."""
        delay = self._backoff[0]
        while not stop.is_set() and not self._enough(max_events):
            connected = False
            try:
                with self._connect(self.url()) as connection:
                    connected = True
                    self.report.connections += 1
                    delay = self._backoff[0]
                    self._read(connection, stop, max_events)
            except Exception as exc:  # noqa: BLE001 - any failure of the stream: reconnect with backoff
                what = "stream dropped" if connected else "cannot connect"
                self._failed(f"{what}: {type(exc).__name__}: {exc}")
                stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
        return self.report

    def _enough(self, max_events: int | None) -> bool:
        return max_events is not None and self.report.events >= max_events

    def _read(self, connection, stop: threading.Event, max_events: int | None) -> None:
        pending: list[RawEntry] = []
        letters: list[DeadLetter] = []
        cursor: int | None = None
        deadline = self._clock() + self._batch_wait_s
        try:
            while not stop.is_set() and not self._enough(max_events):
                wait = max(0.0, deadline - self._clock())
                try:
                    frame = connection.recv(timeout=wait)
                except TimeoutError:
                    frame = None
                if frame is not None:
                    self.report.events += 1
                    cursor = self._take(frame, pending, letters, cursor)
                if (
                    len(pending) >= self._batch_size
                    or self._clock() >= deadline
                    or self._enough(max_events)
                ):
                    self._flush(pending, letters, cursor)
                    pending, letters, cursor = [], [], None
                    deadline = self._clock() + self._batch_wait_s
        finally:
            # What was read before the stream dropped is kept (and the cursor moves past it).
            self._flush(pending, letters, cursor)

    def _take(self, frame, pending: list, letters: list, cursor: int | None) -> int | None:
        text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
        raw_ref = sha256_hex(text.encode("utf-8"))
        try:
            event = parse_event(text)
            entry = event_to_entry(event, self.spec, raw_ref, utc_now())
        except (
            POST_ERRORS
        ) as exc:  # one bad frame is a dead letter; reconnecting would replay it forever
            letters.append(
                DeadLetter(
                    stage="Jetstream",
                    ref=self.spec.url,
                    error=f"{type(exc).__name__}: {exc}",
                    payload=text[:2000],
                )
            )
            return cursor
        if entry is not None:
            self.report.posts += 1
            pending.append(entry)
        return event.cursor if cursor is None or (event.cursor or 0) > cursor else cursor

    def _flush(
        self, entries: list[RawEntry], letters: list[DeadLetter], cursor: int | None
    ) -> None:
        items: list[Item] = []
        for entry in entries:
            try:
                items.append(entry_to_item(entry))
            except EntryError as exc:
                letters.append(
                    DeadLetter(stage="Jetstream", ref=f"{entry.guid}", error=f"EntryError: {exc}")
                )
        if letters:
            self._store.write_dead_letters(letters)
            self.report.dead_letters += len(letters)
        new = self._store.add_new_items(items) if items else []
        self.report.new_items += len(new)
        if cursor is not None:
            # Items first, then the cursor: a crash in between replays, never loses.
            self._store.record_feed_success(
                self.spec.url,
                self.spec.name,
                status=101,
                new_items=len(new),
                kind="jetstream",
                cursor=str(cursor),
            )
            self.report.cursor = cursor
        if new:
            try:
                self._publish(new)
            except Exception as exc:  # noqa: BLE001 - unpublished items stay in the outbox
                _log.warning(
                    "jetstream: publishing %d item(s) failed (%s); they stay in the outbox",
                    len(new),
                    type(exc).__name__,
                )
                return
            self._store.mark_items_published([i.id for i in new])
            self.report.published += len(new)

    def _failed(self, error: str) -> None:
        _log.warning(
            "jetstream %s: %s; reconnecting from cursor %s",
            self.spec.name,
            error,
            self.report.cursor,
        )
        self._store.record_feed_failure(
            self.spec.url, self.spec.name, error=error, kind="jetstream"
        )


def _websocket_connect(url: str):
    try:
        from websockets.sync.client import connect
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise ImportError(
            "the Jetstream source needs the 'websockets' package: pip install websockets"
        ) from exc
    return connect(url, open_timeout=15, max_size=2**22, proxy=None, compression=None)


def jetstream_spec(loaded) -> SourceSpec:
    block = loaded.config.sources.jetstream
    return SourceSpec(
        url=block.url,
        name=block.label(),
        kind="jetstream",
        expected_update_period_s=block.expected_update_period_s,
        alert_after_failures=block.alert_after_failures,
    )


def run_jetstream(
    loaded,
    *,
    emulator_host: str | None,
    stop: threading.Event,
    max_events: int | None = None,
    connect=None,
) -> JetstreamReport:
    """``mentionwatch sources jetstream``: stream until ``stop``; items go to the items topic."""
    from mentionwatch.messages import encode_items
    from mentionwatch.pubsub.clients import publisher_client
    from mentionwatch.store import HistoryStore

    cfg = loaded.config
    block = cfg.sources.jetstream
    topic = cfg.pubsub.topic_path(cfg.pubsub.topics.items)
    client = publisher_client(emulator_host)
    store = HistoryStore(cfg.store.target())
    per_message = cfg.ingest.items_per_message

    def publish(items: list[Item]) -> None:
        futures = []
        for start in range(0, len(items), per_message):
            data, attributes = encode_items(items[start : start + per_message])
            futures.append(client.publish(topic, data, **attributes))
        for future in futures:
            future.result(timeout=60)

    producer = JetstreamProducer(
        jetstream_spec(loaded),
        store,
        publish,
        collections=block.collections,
        dids=block.dids,
        batch_size=block.batch_size,
        batch_wait_s=block.batch_wait_s,
        reconnect_initial_s=block.reconnect_initial_s,
        reconnect_max_s=block.reconnect_max_s,
        connect=connect,
    )
    try:
        return producer.run(stop, max_events)
    finally:
        client.stop()
        store.close()


__all__ = [
    "JetstreamEvent",
    "JetstreamProducer",
    "JetstreamReport",
    "event_to_entry",
    "parse_event",
    "run_jetstream",
    "subscribe_url",
]
