"""The Notifier against a real store (SQLite, and PostgreSQL when one is configured), fake
channels and a manual clock (no sleeping)."""

import datetime as dt
import json
import logging
import threading
import time
import zoneinfo

import pytest

from mentionwatch.config import parse_config
from mentionwatch.notify.channels import (
    Channel,
    DeliveryReceipt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from mentionwatch.notify.clock import ManualClock
from mentionwatch.notify.sending import Interrupted
from mentionwatch.notify.service import ACK, NACK, Notifier
from mentionwatch.notify.store import NotifyStore

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
ABUSE = "I know where you live and I will hurt you"

CONFIG = """
subjects:
  - name: Dana Reyes
notify:
  timezone: America/Chicago
  recipients:
    - name: dana
      role: subject
      channels: [{type: console}]
      digest: {every: daily, at: "08:00"}
      quiet_hours: {start: "22:00", end: "07:00"}
    - name: sam
      role: helper
      full_text: true
      labels: [harassment]
      channels: [{type: console, name: phone}, {type: file, name: log}]
      digest: {every: hourly}
  delivery: {max_attempts: 3, backoff_initial_s: 2, backoff_max_s: 30}
"""


class FakeChannel(Channel):
    """Records what it delivers; fails with the scripted errors first."""

    def __init__(self, key, failures=()):
        super().__init__(key)
        self.sent = []
        self.failures = list(failures)
        self.calls = 0

    def send(self, notification):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(notification)
        return DeliveryReceipt(self.key, f"ok {len(self.sent)}")


def chicago(*args):
    return dt.datetime(*args, tzinfo=CHICAGO)


def body(alert_id="al_threat", **fields):
    data = {
        "schema_version": 1,
        "alert_id": alert_id,
        "subject": "Dana Reyes",
        "label": "harassment",
        "harassment_type": "threat",
        "severity": "critical",
        "url": f"https://forum.example/{alert_id}",
        "source": "Corner Forum",
        "title": "",
        "excerpt": ABUSE,
        "published_at": "2026-03-03T18:00:00Z",
        "created_at": "2026-03-03T18:01:00Z",
        "content_warning": True,
        **fields,
    }
    return json.dumps(data).encode()


def promo(i):
    return body(
        f"al_promo{i}",
        label="re_promotion",
        harassment_type=None,
        severity="medium",
        title="Hotel Room Tape",
        excerpt="watch free",
    )


@pytest.fixture
def world(store_url):
    config = parse_config(CONFIG)
    store = NotifyStore(store_url)
    channels = {"dana": [FakeChannel("console")], "sam": [FakeChannel("phone"), FakeChannel("log")]}
    operator = FakeChannel("ops")
    clock = ManualClock(chicago(2026, 3, 3, 12, 0))

    def make(**kwargs):
        return Notifier(
            config.notify, ["Dana Reyes"], store, channels, [operator], clock=clock, **kwargs
        )

    yield {"make": make, "store": store, "channels": channels, "operator": operator, "clock": clock}
    store.close()


def sent(channel):
    return [(n.kind, n.id) for n in channel.sent]


def test_a_threat_goes_to_every_channel_at_once_and_a_redelivery_sends_nothing(world):
    notifier = world["make"]()
    assert notifier.handle(body(), "m1") == ACK
    dana, (phone, log) = world["channels"]["dana"][0], world["channels"]["sam"]
    assert sent(dana) == sent(phone) == sent(log) == [("immediate", "al_threat")]
    assert (
        ABUSE not in dana.sent[0].text and ABUSE in phone.sent[0].text
    )  # only the helper opted in
    assert (
        notifier.handle(body(), "m2") == ACK
    )  # the same alert again (a redelivery or a re-publish)
    assert world["make"]().handle(body(), "m3") == ACK  # and after a restart
    assert len(dana.sent) == len(phone.sent) == len(log.sent) == 1
    assert {row["status"] for row in world["store"].deliveries(ref="al_threat")} == {"sent"}


def test_transient_failures_are_retried_with_backoff_without_delaying_other_channels(world):
    phone, log = world["channels"]["sam"]
    phone.failures = [TransientDeliveryError("HTTP 503"), TransientDeliveryError("HTTP 503")]
    clock, seen = world["clock"], {}
    original = log.send
    log.send = lambda n: (seen.setdefault("log_at", clock.now()), original(n))[1]
    start = clock.now()
    assert world["make"]().handle(body(), "m1") == ACK
    assert phone.calls == 3 and sent(phone) == [("immediate", "al_threat")]
    assert clock.slept == [2, 4]
    assert seen["log_at"] == start  # the helper's other channel got the threat before any wait
    assert world["store"].deliveries(ref="al_threat", channel="phone")[0]["attempts"] == 3


def test_after_max_attempts_a_dead_letter_is_kept_and_the_operator_told_without_the_text(
    world, caplog
):
    phone = world["channels"]["sam"][0]
    phone.failures = [TransientDeliveryError("HTTP 503")] * 3
    notifier = world["make"]()
    with caplog.at_level(logging.INFO, logger="mentionwatch"):
        assert notifier.handle(body(), "m1") == ACK  # settled: the dead letter holds it
    [letter] = world["store"].dead_letters()
    assert (letter["ref"], letter["recipient"], letter["channel"], letter["attempts"]) == (
        "al_threat",
        "sam",
        "phone",
        3,
    )
    assert json.loads(json.dumps(letter["payload"]))["alerts"][0]["alert_id"] == "al_threat"
    [notice] = world["operator"].sent
    assert "sam" in notice.text and "phone" in notice.text and ABUSE not in notice.text
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "dead-lettered after 3 attempt(s)" in warnings[0].getMessage()
    assert all(ABUSE not in r.getMessage() for r in caplog.records)
    assert (
        notifier.handle(body(), "m2") == ACK and phone.calls == 3
    )  # a dead letter is not retried by redelivery

    phone.failures = []  # the operator fixed the webhook
    assert world["make"]().retry_dead_letters() == (1, 0)
    assert sent(phone) == [("immediate", "al_threat")] and world["store"].dead_letters() == []


def test_a_permanent_error_is_dead_lettered_at_once(world):
    log = world["channels"]["sam"][1]
    log.failures = [PermanentDeliveryError("HTTP 410")]
    assert world["make"]().handle(body(), "m1") == ACK
    assert log.calls == 1 and world["clock"].slept == []
    assert world["store"].dead_letters()[0]["error"] == "permanent: HTTP 410"


def test_thirty_re_promotions_wait_for_one_digest(world):
    notifier = world["make"]()
    for i in range(30):
        assert notifier.handle(promo(i), f"m{i}") == ACK
    dana = world["channels"]["dana"][0]
    assert (
        dana.sent == [] and world["channels"]["sam"][0].sent == []
    )  # sam does not take re-promotions
    assert notifier.flush_digests() == 0  # due at 08:00 tomorrow
    world["clock"].set(chicago(2026, 3, 4, 8, 0))
    assert notifier.flush_digests() == 1
    [digest] = dana.sent
    assert (
        digest.kind == "digest"
        and "30 re-promotions" in digest.title
        and "30 \u00d7 title 1 (hidden)" in digest.text
    )
    assert notifier.flush_digests() == 0 and len(dana.sent) == 1
    assert (
        notifier.handle(promo(3), "again") == ACK and notifier.flush_digests(force=True) == 0
    )  # never queued twice


def test_a_digest_that_cannot_be_built_is_dead_lettered_and_does_not_wedge_the_queue(world):
    import sqlalchemy as sa

    from mentionwatch.store import schema

    notifier = world["make"]()
    for i in range(3):
        assert notifier.handle(promo(i), f"m{i}") == ACK
    table = schema.notify_digest_queue
    with world["store"].engine.begin() as connection:  # a stored body this version cannot read
        row = connection.execute(sa.select(table.c.alert_id, table.c.body).limit(1)).one()
        broken = {**dict(row.body), "severity": "unheard-of"}
        connection.execute(
            table.update().where(table.c.alert_id == row.alert_id).values(body=broken)
        )
    world["clock"].set(chicago(2026, 3, 4, 8, 0))
    assert notifier.flush_digests() == 0  # no exception: the service keeps running
    [letter] = world["store"].dead_letters()
    assert (
        letter["kind"] == "digest"
        and "could not be built" in letter["error"]
        and len(letter["payload"]["alerts"]) == 3
    )
    assert world["make"]().flush_digests() == 0  # a restart does not trip over it again
    assert notifier.handle(promo(7), "m7") == ACK
    world["clock"].set(chicago(2026, 3, 5, 8, 0))
    assert (
        notifier.flush_digests() == 1 and len(world["channels"]["dana"][0].sent) == 1
    )  # later digests still go


def test_quiet_hours_hold_a_low_alert_and_let_a_threat_through(world):
    world["clock"].set(chicago(2026, 3, 3, 23, 30))
    notifier = world["make"]()
    insult = body("al_insult", harassment_type="insult", severity="low")
    incitement = body("al_incite", harassment_type="incitement", severity="high", kind="pile_on")
    for i, data in enumerate((insult, incitement, body())):
        assert notifier.handle(data, f"m{i}") == ACK
    dana = world["channels"]["dana"][0]
    assert sent(dana) == [
        ("immediate", "al_threat")
    ]  # the pile-on is high, not critical: held at night
    held = {row["alert_id"]: row for row in world["store"].queue(recipient="dana")}
    assert held["al_incite"]["reason"] == "quiet_hours" and held["al_insult"]["reason"] == "digest"
    assert held["al_incite"]["due_at"].replace(tzinfo=dt.UTC) == chicago(2026, 3, 4, 7, 0)
    assert sent(world["channels"]["sam"][0])[0] == (
        "immediate",
        "al_incite",
    )  # sam has no quiet hours
    world["clock"].set(chicago(2026, 3, 4, 6, 59))
    notifier.flush_digests()  # sam's hourly digest (the insult) goes; dana's waits
    assert len(dana.sent) == 1 and sent(world["channels"]["sam"][0])[-1][0] == "digest"
    world["clock"].set(chicago(2026, 3, 4, 7, 0))
    assert notifier.flush_digests() == 1
    digest = dana.sent[-1]
    assert (
        digest.kind == "digest"
        and "(held during quiet hours)" in digest.text
        and "an insult" in digest.text
    )


def test_a_stop_while_waiting_to_retry_answers_nack_and_the_next_run_delivers_once(world):
    stop = threading.Event()
    phone = world["channels"]["sam"][0]

    def fail_and_stop(_notification):
        stop.set()  # SIGTERM arrives while the first attempt fails
        raise TransientDeliveryError("connection refused")

    phone.send = fail_and_stop
    assert world["make"](stop=stop).handle(body(), "m1") == NACK
    assert world["store"].dead_letters() == []
    del phone.send  # back to the recording method
    assert world["make"]().handle(body(), "m1") == ACK
    assert sent(phone) == [("immediate", "al_threat")]
    assert (
        len(world["channels"]["dana"][0].sent) == 1
    )  # dana's channel was done in the first run: not again


def test_an_unfinished_digest_is_resumed_under_the_same_id(world):
    notifier = world["make"]()
    notifier.handle(body("al_insult", harassment_type="insult", severity="medium"), "m1")
    phone, log = world["channels"]["sam"]
    stop = threading.Event()

    def die(_notification):
        stop.set()
        raise TransientDeliveryError("down")

    log.send = die
    world["clock"].set(chicago(2026, 3, 3, 13, 0))
    with pytest.raises(Interrupted):
        world["make"](
            stop=stop
        ).flush_digests()  # sam's hourly digest: phone done, then the process stops
    [(digest_id, rows)] = world["store"].unfinished_digests().items()
    assert [r["recipient"] for r in rows] == ["sam"]
    del log.send
    assert (
        world["make"]().flush_digests() == 1
    )  # resumed; dana's daily digest is not due before 08:00
    assert sent(phone) == [("digest", digest_id)] and sent(log) == [("digest", digest_id)]


def test_an_unreadable_message_is_kept_and_acknowledged(world):
    notifier = world["make"]()
    assert notifier.handle(b'{"not": "an alert"}', "m-bad") == ACK
    [letter] = world["store"].dead_letters()
    assert (
        letter["kind"] == "unreadable"
        and letter["ref"] == "message:m-bad"
        and "alert_id" in letter["error"]
    )
    assert len(world["operator"].sent) == 1 and notifier.report.unreadable == 1


def test_two_copies_of_one_alert_handled_at_once_send_once(world):
    notifier = world["make"]()
    dana = world["channels"]["dana"][0]
    gate, original = threading.Event(), dana.send
    dana.send = lambda n: (gate.wait(5), original(n))[1]
    copies = [threading.Thread(target=notifier.handle, args=(body(), f"m{i}")) for i in range(2)]
    for thread in copies:
        thread.start()
    time.sleep(0.2)  # both copies are in: one sending (held at the gate), one waiting for it
    gate.set()
    for thread in copies:
        thread.join(10)
    assert sent(dana) == [("immediate", "al_threat")] and notifier.report.skipped_duplicates == 3
