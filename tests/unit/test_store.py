"""The history store's writes, on SQLite and PostgreSQL (``store`` fixture:
tests/store_fixtures.py)."""

import datetime as dt

import sqlalchemy as sa
from history_data import threat_alert

from mentionwatch.records import (
    Classification,
    ClassifiedMention,
    DeadLetter,
    Item,
    Mention,
    Span,
)
from mentionwatch.store import HistoryStore, schema
from mentionwatch.store.alerts import PENDING_GRACE_S
from mentionwatch.store.derive import domain_of, occurred_at


def make(
    model_version="1",
    published="2026-11-22T10:00:00Z",
    fetched=None,
    url="https://f.example/1",
    label="harassment",
):
    item = Item(
        "it_1",
        "forum",
        url,
        "t",
        "text",
        author="poster",
        published_at=published,
        fetched_at=fetched,
    )
    mention = Mention(item, "Dana Reyes", (Span("text", 0, 4, "text", "text"),))
    result = Classification(
        label,
        "threat" if label == "harassment" else None,
        {"harassment": 0.9, "benign": 0.1},
        "m",
        model_version,
        {"harassment": 0.5},
    )
    return ClassifiedMention(mention, result)


def rows(store):
    with store.engine.connect() as connection:
        return (
            connection.execute(sa.select(schema.mentions).order_by(schema.mentions.c.id))
            .mappings()
            .all()
        )


def test_mentions_upsert_by_mention_and_model_version(store):
    store.write_mentions([make()])
    store.write_mentions([make()])  # a replay changes nothing
    assert store.count("mentions") == 1 and store.count("items") == 1
    store.write_mentions([make(model_version="2")])  # a new model adds a row
    assert store.count("mentions") == 2


def test_a_new_model_version_becomes_current_and_the_old_row_stays(store):
    store.write_mentions([make(model_version="1")])
    store.write_mentions([make(model_version="2", label="benign")])
    stored = rows(store)
    assert [(r["model_version"], r["label"], r["is_current"]) for r in stored] == [
        ("1", "harassment", False),
        ("2", "benign", True),
    ]
    store.write_mentions([make(model_version="1")])  # re-writing v1 makes it the latest again
    assert [r["is_current"] for r in rows(store)] == [True, False]


def test_analyst_columns_are_derived_on_write(store):
    store.write_mentions([make(url="https://WWW.Tube.example/v/9", fetched="2026-11-22T11:00:00Z")])
    (row,) = rows(store)
    assert row["domain"] == "tube.example" and row["author"] == "poster"
    assert row["severity"] == "critical"  # a threat
    moment = (
        row["occurred_at"]
        if row["occurred_at"].tzinfo
        else row["occurred_at"].replace(tzinfo=dt.UTC)
    )
    assert moment == dt.datetime(2026, 11, 22, 10, tzinfo=dt.UTC)


def test_occurred_at_falls_back_to_the_fetch_when_published_is_missing_or_later():
    fetched = dt.datetime(2026, 11, 22, 8, tzinfo=dt.UTC)
    now = fetched + dt.timedelta(hours=1)
    assert occurred_at(fetched - dt.timedelta(days=400), fetched, now) == fetched - dt.timedelta(
        days=400
    )
    assert (
        occurred_at(fetched + dt.timedelta(hours=5), fetched, now) == fetched
    )  # "published" after we fetched it
    assert occurred_at(None, fetched, now) == fetched
    assert occurred_at(None, None, now) == now
    assert (
        domain_of("https://www.Example.COM:8443/a?b") == "example.com"
        and domain_of("not a url") == ""
    )


def test_alerts_are_recorded_pending_then_published_once(store):
    assert store.record_alerts([threat_alert()]) == ["al_1"]
    # The monitor that recorded it is sending it: a republish beside it leaves it alone ...
    assert store.pending_alerts() == []
    # ... until that attempt fails, or the monitor has been gone for the grace period.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=PENDING_GRACE_S + 5)
    assert [a.alert_id for a in store.pending_alerts(now=later)] == ["al_1"]
    store.mark_failed({"al_1": "unavailable"})
    assert [a.alert_id for a in store.pending_alerts()] == ["al_1"]
    # A monitor that records it again (a redelivered item) is sending it again: left to it.
    assert store.record_alerts([threat_alert()]) == ["al_1"] and store.pending_alerts() == []
    store.mark_failed({"al_1": "unavailable"})
    assert store.count("alerts", status="pending") == 1
    store.mark_published({"al_1": "msg-9"})
    assert store.pending_alerts() == []
    # Recording the same alert again (a re-run) does not make it sendable again.
    assert store.record_alerts([threat_alert()]) == []
    assert store.count("alerts") == 1


def test_dead_letters_are_stored(store):
    store.write_dead_letters(
        [DeadLetter("FetchFeeds", "https://x.example/f", "FetchError: HTTP 404")]
    )
    assert store.count("dead_letters", stage="FetchFeeds") == 1


def test_feed_health_is_recorded(store):
    store.record_feed_failure(
        "https://x.example/f", "X", error="HTTP 503", status=503, retry_after=30
    )
    store.record_feed_failure("https://x.example/f", "X", error="HTTP 503", status=503)
    state = store.feed_states(["https://x.example/f"])["https://x.example/f"]
    assert state["consecutive_failures"] == 2 and state["last_status"] == 503
    store.record_feed_success("https://x.example/f", "X", status=200, etag='"v1"', new_items=3)
    state = store.feed_states(["https://x.example/f"])["https://x.example/f"]
    assert (
        state["consecutive_failures"] == 0 and state["etag"] == '"v1"' and state["items_total"] == 3
    )


def test_harassment_times_for_the_pile_on_baseline_are_event_times(store):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    published = now - dt.timedelta(hours=3)
    store.write_mentions(
        [make(published=published.isoformat(), fetched=(now - dt.timedelta(hours=2)).isoformat())]
    )
    times = store.harassment_times("Dana Reyes", since=now - dt.timedelta(days=1), until=now)
    assert times == [published.timestamp()]
    store.write_mentions([make(model_version="2", label="benign", published=published.isoformat())])
    assert (
        store.harassment_times("Dana Reyes", since=now - dt.timedelta(days=1), until=now) == []
    )  # no longer current


def test_sqlite_uses_wal(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_held_burst_orphaned_by_its_monitor_is_republished_whole(store):
    import dataclasses
    import datetime as dt

    leader = threat_alert("al_lead")
    released_at = dt.datetime(2026, 11, 22, 10, 10, tzinfo=dt.UTC)
    store.record_held(leader, "re_promotion|title", released_at)
    store.record_grouped(
        threat_alert("al_2"),
        dataclasses.replace(leader, kind="burst", count=2, related_urls=("u2",)),
    )
    # While the monitor may still release it itself, a republish leaves it alone ...
    assert store.pending_alerts(now=released_at + dt.timedelta(seconds=10)) == []
    # ... after the grace period it goes out with the count it reached; the member never does.
    (orphan,) = store.pending_alerts(now=released_at + dt.timedelta(seconds=120))
    assert (orphan.alert_id, orphan.kind, orphan.count, orphan.related_urls) == (
        "al_lead",
        "burst",
        2,
        ("u2",),
    )


def test_a_burst_the_monitor_just_released_is_left_to_it(store):
    import dataclasses

    leader = threat_alert("al_lead")
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    store.record_held(leader, "re_promotion|title", long_ago + dt.timedelta(seconds=3))
    # The monitor's timer releases it now: it becomes pending with its final count and is being
    # sent.
    assert store.record_alerts([dataclasses.replace(leader, kind="burst", count=3)]) == ["al_lead"]
    assert (
        store.pending_alerts() == []
    )  # not "pending since an hour ago": no second copy from a republish
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=PENDING_GRACE_S + 5)
    (orphan,) = store.pending_alerts(now=later)
    assert (orphan.alert_id, orphan.count) == ("al_lead", 3)


def test_an_unreadable_stored_alert_does_not_hold_back_the_others(store, caplog):
    assert store.record_alerts([threat_alert("al_bad"), threat_alert("al_good")]) == [
        "al_bad",
        "al_good",
    ]
    with store.engine.begin() as connection:
        connection.execute(
            schema.alerts.update()
            .where(schema.alerts.c.alert_id == "al_bad")
            .values(body={"subject": "D"})
        )
    store.mark_failed({"al_bad": "unavailable", "al_good": "unavailable"})
    assert [a.alert_id for a in store.pending_alerts()] == ["al_good"]
    assert "al_bad has an unreadable stored body" in caplog.text
