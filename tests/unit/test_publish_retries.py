"""Retries publish nothing twice, and a redelivered items message keeps its first id.

``PublishAlerts``' DoFn runs against a real SQLite store with a fake
publisher (nothing leaves the process): a bundle processed twice (Dataflow
retrying it) publishes each alert once; a store that fails while marking is
retried in place instead of failing the bundle. Ingest's outbox re-sends the
items of one message together under the ``item_id`` of the first send.
"""

from __future__ import annotations

import sqlalchemy as sa
from history_data import threat_alert

from mentionwatch.jobs.outbox import Outgoing, _PublishItemsFn, regroup
from mentionwatch.messages import ID_ATTRIBUTE, TIMESTAMP_ATTRIBUTE, decode_items, encode_items
from mentionwatch.pubsub import publish
from mentionwatch.records import Item
from mentionwatch.store import HistoryStore, StoreUnavailable, schema


class FakePublisher:
    def __init__(self):
        self.sent = []

    def publish(self, alerts):
        self.sent += [a.alert_id for a in alerts]
        return {a.alert_id: f"msg-{len(self.sent)}-{a.alert_id}" for a in alerts}, {}

    def close(self):
        pass


def publish_fn(tmp_path):
    fn = publish._PublishBatchFn(f"sqlite:///{tmp_path}/h.db", "projects/p/topics/a", None)
    fn._store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    fn._publisher = FakePublisher()
    return fn


def statuses(store):
    with store.engine.connect() as c:
        rows = c.execute(sa.select(schema.alerts.c.alert_id, schema.alerts.c.message_id)).all()
    return dict(rows)


def test_a_retried_bundle_publishes_each_alert_once(tmp_path):
    fn = publish_fn(tmp_path)
    batch = [
        threat_alert("al_1"),
        threat_alert("al_2"),
        threat_alert("al_1"),
    ]  # a copy inside the batch too
    first = list(fn.process(batch))
    again = list(fn.process(batch))  # the runner retries the bundle
    assert [a.alert_id for a in first] == ["al_1", "al_2"] and again == []
    assert fn._publisher.sent == ["al_1", "al_2"]
    assert statuses(fn._store) == {"al_1": "msg-2-al_1", "al_2": "msg-2-al_2"}


def test_a_store_failure_while_marking_is_retried_not_republished(tmp_path, monkeypatch):
    fn = publish_fn(tmp_path)
    real, calls = fn._store.mark_published, []

    def flaky(sent):
        calls.append(dict(sent))
        if len(calls) == 1:
            raise StoreUnavailable("history store unavailable: connection reset")
        real(sent)

    monkeypatch.setattr(fn._store, "mark_published", flaky)
    monkeypatch.setattr(publish.time, "sleep", lambda _s: None)
    assert [a.alert_id for a in fn.process([threat_alert("al_1")])] == ["al_1"]
    assert len(calls) == 2 and fn._publisher.sent == ["al_1"]
    assert list(fn.process([threat_alert("al_1")])) == []  # marked: a later retry skips it


def test_the_first_mark_of_an_alert_stands(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    store.record_alerts([threat_alert("al_1")])
    store.mark_published({"al_1": "first"})
    store.mark_published({"al_1": "copy"})  # a second publication of the same alert
    assert statuses(store) == {"al_1": "first"}


def item(n):
    return Item(f"it_{n}", "feed", f"https://f.example/{n}", "t", f"text {n}")


def test_items_messages_carry_a_stable_id_and_the_producers_time():
    items = [item(1), item(2)]
    data, attrs = encode_items(items, published_at="2026-12-10T09:00:00.000Z")
    assert attrs[ID_ATTRIBUTE] == encode_items(list(reversed(items)))[1][ID_ATTRIBUTE]
    assert attrs[ID_ATTRIBUTE].startswith("batch-") and attrs["count"] == "2"
    assert attrs[TIMESTAMP_ATTRIBUTE] == "2026-12-10T09:00:00.000Z"
    assert encode_items(items, key="batch-first")[1][ID_ATTRIBUTE] == "batch-first"
    assert [i.id for i in decode_items(data)] == ["it_1", "it_2"]


def test_due_items_are_regrouped_under_the_key_of_their_first_send():
    due = [item(1), item(2), item(3), item(4)]
    keys = {"it_1": "batch-a", "it_3": "batch-a", "it_2": "batch-b"}
    assert regroup(due, keys) == [
        Outgoing("batch-a", (item(1), item(3))),
        Outgoing("batch-b", (item(2),)),
        Outgoing(None, (item(4),)),  # never published: a new message
    ]


class FakeFuture:
    def result(self, timeout=None):
        return "id"


class FakeClient:
    def __init__(self):
        self.messages = []

    def publish(self, topic, data, retry=None, **attributes):
        self.messages.append((decode_items(data), attributes))
        return FakeFuture()


def test_a_redelivery_resends_the_same_message_id_and_the_store_keeps_it(tmp_path):
    url = f"sqlite:///{tmp_path}/h.db"
    store = HistoryStore(url)
    store.add_new_items([item(n) for n in range(1, 6)])
    fn = _PublishItemsFn("projects/p/topics/items", None, url, items_per_message=3)
    fn._client, fn._store = FakeClient(), store
    published = list(fn.process([Outgoing(None, (item(n),)) for n in range(1, 6)]))
    assert len(published) == 5
    first = {i.id: attrs[ID_ATTRIBUTE] for items, attrs in fn._client.messages for i in items}
    assert len(set(first.values())) == 2  # 3 + 2 items
    assert store.message_keys([f"it_{n}" for n in range(1, 6)]) == first
    # Later: it_2 was confirmed, the rest are due again and re-sent as first grouped.
    due = [i for i in (item(1), item(3), item(4), item(5))]
    fn._client.messages.clear()
    list(fn.process(regroup(due, store.message_keys([i.id for i in due]))))
    resent = {i.id: attrs[ID_ATTRIBUTE] for items, attrs in fn._client.messages for i in items}
    assert resent == {k: v for k, v in first.items() if k != "it_2"}
    assert store.message_keys(["it_1"]) == {"it_1": first["it_1"]}  # the first key stays
