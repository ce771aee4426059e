"""The store is the source of truth for delivery: what Pub/Sub does not bring, notify takes from
the store.

A real store (SQLite, and PostgreSQL when configured), fake channels and a
manual clock: alerts are recorded and marked published exactly as the
monitor does, and ``Notifier.reconcile`` is what the notify loops call on a
timer.
"""

import dataclasses
import datetime as dt
import json

import pytest
import sqlalchemy as sa

from mentionwatch.config import parse_config
from mentionwatch.notify import delivery
from mentionwatch.notify.channels import Channel, DeliveryReceipt, PermanentDeliveryError
from mentionwatch.notify.clock import ManualClock
from mentionwatch.notify.service import ACK, Notifier
from mentionwatch.notify.store import NotifyStore
from mentionwatch.pubsub.publish import encode
from mentionwatch.records import Alert
from mentionwatch.store import schema

ABUSE = "I know where you live and I will hurt you"

CONFIG = """
subjects:
  - name: Dana Reyes
notify:
  recipients:
    - name: dana
      role: subject
      channels: [{type: console}]
    - name: sam
      role: helper
      labels: [harassment]
      channels: [{type: console, name: phone}]
  delivery: {max_attempts: 1, reconcile_after_s: 20, notice_after_s: 300}
"""


class FakeChannel(Channel):
    def __init__(self, key, fail=False):
        super().__init__(key)
        self.sent = []
        self.fail = fail

    def send(self, notification):
        if self.fail:
            raise PermanentDeliveryError("mailbox does not exist")
        self.sent.append(notification)
        return DeliveryReceipt(self.key, "ok")


def alert(alert_id, **fields):
    values = {
        "alert_id": alert_id,
        "subject": "Dana Reyes",
        "label": "harassment",
        "harassment_type": "threat",
        "severity": "critical",
        "item_id": f"it_{alert_id}",
        "mention_id": f"mn_{alert_id}",
        "url": f"https://forum.example/{alert_id}",
        "source": "Corner Forum",
        "title": "",
        "excerpt": ABUSE,
        "published_at": "2026-12-03T10:00:00Z",
        "created_at": "2026-12-03T10:00:05Z",
        "scores": {"harassment": 0.97},
        "model_id": "shipped",
        "model_version": "test",
    }
    values.update(fields)
    return Alert(**values)


@pytest.fixture
def world(store_url):
    config = parse_config(CONFIG)
    store = NotifyStore(store_url)
    channels = {"dana": [FakeChannel("console")], "sam": [FakeChannel("phone")]}
    operator = FakeChannel("ops")
    now = dt.datetime.now(dt.UTC)
    clock = ManualClock(now)

    def make():
        return Notifier(config.notify, ["Dana Reyes"], store, channels, [operator], clock=clock)

    def publish(*alerts, ago_s=0.0):
        """Records alerts and marks them published ``ago_s`` seconds before the clock's now."""
        store.record_alerts(list(alerts))
        store.mark_published({a.alert_id: f"m-{a.alert_id}" for a in alerts})
        when = clock.now() - dt.timedelta(seconds=ago_s)
        with store.transaction() as connection:
            connection.execute(
                schema.alerts.update()
                .where(schema.alerts.c.alert_id.in_([a.alert_id for a in alerts]))
                .values(published_at=when)
            )

    yield dataclasses.make_dataclass(
        "World", ["make", "publish", "store", "channels", "operator", "clock"]
    )(make, publish, store, channels, operator, clock)
    store.close()


def states(store):
    with store.transaction() as connection:
        return {a.alert_id: a.state for a in delivery.alert_deliveries(connection)}


def test_a_published_alert_pubsub_never_brought_is_delivered_from_the_store(world):
    world.publish(alert("al_lost"), ago_s=30)
    assert states(world.store) == {"al_lost": "published"}

    assert world.make().reconcile() == 1

    assert [n.id for n in world.channels["dana"][0].sent] == ["al_lost"]
    assert [n.id for n in world.channels["sam"][0].sent] == ["al_lost"]
    assert states(world.store) == {"al_lost": "delivered"}
    with world.store.transaction() as connection:
        (row,) = delivery.alert_deliveries(connection)
    assert row.received_via == "store"
    assert {(d.recipient, d.channel, d.status) for d in row.deliveries} == {
        ("dana", "console", "sent"),
        ("sam", "phone", "sent"),
    }


def test_the_pubsub_copy_arriving_later_sends_nothing_twice(world):
    late = alert("al_late")
    world.publish(late, ago_s=30)
    notifier = world.make()
    notifier.reconcile()

    assert notifier.handle(encode(late), "m-1") == ACK  # Pub/Sub finally delivers it

    assert len(world.channels["dana"][0].sent) == 1
    assert len(world.channels["sam"][0].sent) == 1
    assert notifier.report.skipped_duplicates == 2


def test_an_alert_received_from_pubsub_is_not_taken_again_from_the_store(world):
    fresh = alert("al_fresh")
    world.publish(fresh, ago_s=30)
    notifier = world.make()
    assert notifier.handle(encode(fresh), "m-1") == ACK

    assert notifier.reconcile() == 0
    assert len(world.channels["dana"][0].sent) == 1
    with world.store.transaction() as connection:
        (row,) = delivery.alert_deliveries(connection)
    assert (row.state, row.received_via) == ("delivered", "pubsub")


def test_recent_alerts_are_left_to_pubsub_and_old_ones_outside_the_window_are_not_resent(world):
    world.publish(
        alert("al_just_now"), ago_s=5
    )  # younger than reconcile_after_s: Pub/Sub is bringing it
    world.publish(
        alert("al_ancient"), ago_s=80 * 3600
    )  # before reconcile_window_h (72 h): not resent

    assert world.make().reconcile() == 0
    assert world.channels["dana"][0].sent == []


def test_an_alert_nobody_could_be_told_about_is_reported_to_the_operator_once(world):
    world.channels["dana"][0].fail = True
    world.channels["sam"][0].fail = True
    world.publish(alert("al_undeliverable"), ago_s=30)
    notifier = world.make()
    notifier.reconcile()
    assert states(world.store) == {"al_undeliverable": "failed"}
    world.operator.sent.clear()  # the dead-letter notices

    world.clock.advance(seconds=400)
    notifier.reconcile()
    notifier.reconcile()

    (notice,) = world.operator.sent
    assert "al_undeliverable" in notice.text and "not delivered" in notice.title
    assert ABUSE not in notice.text and ABUSE not in notice.html


def test_an_alert_still_queued_for_a_digest_is_not_overdue(world):
    world.publish(
        alert("al_promo", label="re_promotion", harassment_type=None, severity="medium"), ago_s=30
    )
    notifier = world.make()
    notifier.reconcile()
    assert states(world.store) == {
        "al_promo": "queued"
    }  # dana's daily digest; sam does not take re-promotion

    world.clock.advance(seconds=400)
    notifier.reconcile()
    assert world.operator.sent == []


def test_an_overdue_notice_does_not_stop_a_later_delivery_from_the_store(world):
    world.publish(alert("al_outage"), ago_s=400)
    notifier = world.make()
    world.store.mark_noticed(
        ["al_outage"], world.clock.now()
    )  # told, while notify could not deliver

    assert notifier.reconcile() == 1
    assert states(world.store) == {"al_outage": "delivered"}


def test_an_unreadable_stored_alert_is_dead_lettered_once_not_every_round(world):
    world.publish(alert("al_broken"), ago_s=30)
    with world.store.transaction() as connection:
        connection.execute(
            schema.alerts.update().values(body={"schema_version": 999, "alert_id": "al_broken"})
        )
    notifier = world.make()
    notifier.reconcile()
    notifier.reconcile()

    with world.store.transaction() as connection:
        letters = connection.execute(
            sa.select(sa.func.count()).select_from(schema.notify_dead_letters)
        ).scalar_one()
    assert letters == 1
    assert states(world.store) == {"al_broken": "failed"}


def test_delivery_state_summary_never_contains_the_text(world):
    world.publish(alert("al_x"), ago_s=30)
    world.make().reconcile()
    with world.store.transaction() as connection:
        (row,) = delivery.alert_deliveries(connection)
    assert row.summary() in (
        "delivered: dana (console: sent), sam (phone: sent)",
        "delivered: sam (phone: sent), dana (console: sent)",
    )
    assert ABUSE not in row.summary() and ABUSE not in json.dumps(
        dataclasses.asdict(row), default=str
    )
