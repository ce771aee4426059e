"""Ingest's outbox stages: ``ReadOutbox`` and ``PublishItems``.

A new item is recorded in the store's outbox before it is published, and
stays there until the monitor confirms it. ``ReadOutbox`` finds the items
that still need (re)delivery, giving up on those not confirmed after
``max_attempts`` (dead letters with the reason, and a notice to the
operator); ``PublishItems`` publishes items in messages of
``items_per_message`` (``mentionwatch.messages``) and marks each published,
with its message's key, once Pub/Sub accepts it. A refused publish leaves
the items in the outbox for the next run.

Both stages pass **messages** (``Outgoing``: a key, or None for a new
message, and its items), not loose items: a redelivery re-sends the items of
one earlier message together, under that message's ``item_id``, so the
monitor's ``ReadFromPubSub(id_label="item_id")`` on Dataflow recognises a
copy of a message it already has. (Splitting one key's items over two
messages would make Dataflow drop the second as a copy of the first.) Items
of one message the monitor confirmed in part are re-sent without the
confirmed ones, still under the first key.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.messages import encode_items, message_key
from mentionwatch.records import DeadLetter, Item
from mentionwatch.store import HistoryStore

_log = logging.getLogger(__name__)

ERRORS = "errors"


class Outgoing(typing.NamedTuple):
    """One message to publish: its ``item_id`` key (None: a new message) and its items."""

    key: str | None
    items: tuple[Item, ...]


def as_new(item: Item) -> Outgoing:
    """A newly found item, to be published in a new message (any key)."""
    return Outgoing(None, (item,))


def regroup(due: Sequence[Item], keys: dict[str, str]) -> list[Outgoing]:
    """Due items as messages: those published before grouped under their first key.

    Items never published (or from before keys were stored) are new messages.
    """
    by_key: dict[str, list[Item]] = {}
    fresh = []
    for item in due:
        key = keys.get(item.id)
        if key is None:
            fresh.append(as_new(item))
        else:
            by_key.setdefault(key, []).append(item)
    return [Outgoing(k, tuple(v)) for k, v in by_key.items()] + fresh


class OutboxResult(typing.NamedTuple):
    """What ``ReadOutbox`` produces."""

    due: beam.PCollection  # Outgoing: items to publish again, grouped as first sent
    errors: beam.PCollection  # DeadLetter for each item given up


class PublishItemsResult(typing.NamedTuple):
    """What ``PublishItems`` produces."""

    published: beam.PCollection  # Item, accepted by Pub/Sub and marked in the outbox
    errors: beam.PCollection  # DeadLetter for each refused message


class _ReadOutboxFn(beam.DoFn):
    """Items recorded before this run that still need (re)delivery.

    Due ones come out as ``Outgoing`` messages grouped by the key of their
    first send (``regroup``). Exhausted ones are never dropped silently: each
    is a dead letter with the reason and its payload, and the operator is
    told on the dead-letters topic (``kind=items_given_up``).
    """

    def __init__(
        self,
        store_url: str,
        *,
        redeliver_after_s: float,
        max_attempts: int,
        retention_days: int,
        run_started: float,
        notices_topic: str | None = None,
        emulator_host: str | None = None,
    ):
        self._store_url = store_url
        self._notices_topic = notices_topic
        self._emulator_host = emulator_host
        self._redeliver_after_s = redeliver_after_s
        self._max_attempts = max_attempts
        self._retention_days = retention_days
        self._run_started = run_started
        self._redelivered = Metrics.counter("mentionwatch.ingest", "items_redelivered")

    def process(self, _):
        store = HistoryStore(self._store_url)
        try:
            store.purge_seen(self._retention_days)
            due, exhausted = store.items_to_deliver(
                redeliver_after_s=self._redeliver_after_s,
                max_attempts=self._max_attempts,
                first_seen_before=dt.datetime.fromtimestamp(self._run_started, dt.UTC),
            )
            if exhausted:
                store.give_up_items([i.id for i in exhausted])
            keys = store.message_keys([i.id for i in due])
        finally:
            store.close()
        self._redelivered.inc(len(due))
        if exhausted:
            self._tell_operator(exhausted)
        yield from regroup(due, keys)
        for item in exhausted:
            yield beam.pvalue.TaggedOutput(
                ERRORS,
                DeadLetter(
                    stage="PublishItems",
                    ref=item.id,
                    payload=json.dumps(item.to_json(), ensure_ascii=False),
                    error=f"not confirmed by the monitor after {self._max_attempts} deliveries "
                    f"(redelivered after {self._redeliver_after_s:g} s each); redelivery "
                    "stopped: a monitor that is only slow still confirms it",
                ),
            )

    def _tell_operator(self, exhausted: Sequence[Item]) -> None:
        ids = [i.id for i in exhausted]
        _log.warning(
            "%d item(s) were not confirmed by the monitor after %d deliveries; "
            "redelivery stopped, kept as dead letters "
            "(a slow monitor still processes them when they arrive): %s",
            len(ids),
            self._max_attempts,
            ", ".join(ids[:10]),
        )
        if not self._notices_topic:
            return
        from mentionwatch.pubsub.clients import publisher_client
        from mentionwatch.pubsub.publish import publish_notice

        body = json.dumps(
            {
                "kind": "items_given_up",
                "count": len(ids),
                "item_ids": ids[:1000],
                "attempts": self._max_attempts,
                "what_to_do": "check that the monitor is running and keeping up "
                "(mentionwatch watch shows it); the items "
                "are in the dead_letters table with their payload",
            }
        ).encode()
        client = publisher_client(self._emulator_host)
        try:
            publish_notice(
                client, self._notices_topic, body, "items-given-up notice", kind="items_given_up"
            )
        finally:
            client.stop()


class _PublishItemsFn(beam.DoFn):
    def __init__(
        self, topic: str, emulator_host: str | None, store_url: str, items_per_message: int
    ):
        self._topic = topic
        self._emulator_host = emulator_host
        self._store_url = store_url
        self._per_message = items_per_message
        self._published = Metrics.counter("mentionwatch.ingest", "items_published")
        self._failed = Metrics.counter("mentionwatch.ingest", "items_publish_failed")

    def setup(self):
        from mentionwatch.pubsub.clients import publisher_client

        self._client = publisher_client(self._emulator_host)
        self._store = HistoryStore(self._store_url)

    def teardown(self):
        self._client.stop()
        self._store.close()

    def process(self, batch: Sequence[Outgoing]):
        from google.api_core import retry as retries

        retry = retries.Retry(initial=0.25, maximum=5.0, multiplier=2.0, deadline=30.0)
        futures = []
        for key, chunk in self._messages(batch):
            data, attributes = encode_items(chunk, key=key)
            futures.append(
                (key, chunk, self._client.publish(self._topic, data, retry=retry, **attributes))
            )
        for key, chunk, future in futures:
            try:
                future.result(timeout=60)
            except Exception as exc:  # noqa: BLE001 - any failure: the items stay in the outbox
                self._failed.inc(len(chunk))
                yield beam.pvalue.TaggedOutput(
                    ERRORS,
                    DeadLetter(
                        stage="PublishItems",
                        ref=chunk[0].id,
                        error=f"{type(exc).__name__}: {exc}; "
                        f"{len(chunk)} item(s) kept in the outbox for the next run",
                    ),
                )
                continue
            self._store.mark_items_published([i.id for i in chunk], message_key=key)
            self._published.inc(len(chunk))
            yield from chunk

    def _messages(self, batch: Sequence[Outgoing]) -> list[tuple[str, tuple[Item, ...]]]:
        """Keyed messages as they are; new items in messages of ``items_per_message``."""
        out = [(m.key, m.items) for m in batch if m.key is not None]
        loose = [i for m in batch if m.key is None for i in m.items]
        for n in range(0, len(loose), self._per_message):
            chunk = tuple(loose[n : n + self._per_message])
            out.append((message_key(chunk), chunk))
        return out


class ReadOutbox(beam.PTransform):
    """PBegin → messages due for (re)delivery (``Outgoing``); the items given up to ``errors``.

    Args:
      store_url: the history store holding the outbox.
      redeliver_after_s: an unconfirmed item is published again after this long.
      max_attempts: deliveries before an item is given up (a dead letter).
      retention_days: how long ids already seen are remembered.
      run_started: this run's start (epoch seconds): items it recorded are not due.
      notices_topic: the dead-letters topic, where the operator is told.
      emulator_host: the Pub/Sub emulator's ``HOST:PORT`` when using it.
    """

    def __init__(
        self,
        store_url: str,
        *,
        redeliver_after_s: float,
        max_attempts: int,
        retention_days: int,
        run_started: float,
        notices_topic: str | None = None,
        emulator_host: str | None = None,
    ):
        super().__init__()
        self._fn = _ReadOutboxFn(
            store_url,
            redeliver_after_s=redeliver_after_s,
            max_attempts=max_attempts,
            retention_days=retention_days,
            run_started=run_started,
            notices_topic=notices_topic,
            emulator_host=emulator_host,
        )

    def expand(self, pbegin):
        """Returns the due items and the dead letters of those given up."""
        out = (
            pbegin
            | "Tick" >> beam.Create([None])
            | "Read" >> beam.ParDo(self._fn).with_outputs(ERRORS, main="due")
        )
        return OutboxResult(out.due, out[ERRORS])


class PublishItems(beam.PTransform):
    """Outgoing → items messages on ``topic``, each item marked published; refusals to ``errors``.

    A keyed ``Outgoing`` (a redelivery) is one message under its key; new
    items are batched into messages of ``items_per_message``.

    Args:
      topic: the items topic path.
      emulator_host: the Pub/Sub emulator's ``HOST:PORT`` when using it.
      store_url: the history store holding the outbox.
      items_per_message: items per message (and the smallest batch).
    """

    def __init__(
        self, topic: str, emulator_host: str | None, store_url: str, items_per_message: int
    ):
        super().__init__()
        self._fn = _PublishItemsFn(topic, emulator_host, store_url, items_per_message)
        self._per_message = items_per_message

    def expand(self, items):
        """Returns the items published and the dead letters of refused messages."""
        out = (
            items
            | "Batch"
            >> beam.BatchElements(
                min_batch_size=self._per_message, max_batch_size=10 * self._per_message
            )
            | "Publish" >> beam.ParDo(self._fn).with_outputs(ERRORS, main="published")
        )
        return PublishItemsResult(out.published, out[ERRORS])
