"""Retention per data class: raw bodies go fast unless evidence; history stays unless configured."""

import datetime as dt

import sqlalchemy as sa
from history_data import ROWS, load

from mentionwatch.records import DeadLetter
from mentionwatch.sources.http import FetchResult
from mentionwatch.store import schema
from mentionwatch.store.evidence import record_fetch
from mentionwatch.store.retention import RetentionPolicy, apply_retention

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def fetch_at(body: bytes, days_ago: float, url="https://f.example/feed") -> str:
    at = (NOW - dt.timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    return FetchResult(url, 200, {"content-type": "application/xml"}, body, at)


def backdate_blobs(store, days_ago: float):
    with store.engine.begin() as connection:
        connection.execute(
            schema.evidence_blobs.update().values(stored_at=NOW - dt.timedelta(days=days_ago))
        )


def test_unreferenced_raw_bodies_go_after_raw_days_and_evidence_stays(store):
    load(store)  # items it_a.. refer to raw_ref "%064x" % ord(key)
    evidence = f"{ord('a'):064x}".encode()
    # A body a stored item came from: its hash is the item's raw_ref.
    import mentionwatch.store.evidence as ev

    sha_evidence = f"{ord('a'):064x}"
    with store.transaction() as connection:
        connection.execute(
            schema.evidence_blobs.insert(),
            [
                {
                    "sha256": sha_evidence,
                    "size": 3,
                    "encoding": "identity",
                    "data": evidence,
                    "stored_at": NOW,
                }
            ],
        )
        connection.execute(
            schema.fetches.insert(),
            [
                {
                    "fetch_id": ev.fetch_id("https://f.example/feed", sha_evidence),
                    "url": "https://f.example/feed",
                    "source": "F",
                    "sha256": sha_evidence,
                    "size": 3,
                    "status": 200,
                    "headers": {},
                    "first_fetched_at": NOW - dt.timedelta(days=30),
                    "last_fetched_at": NOW - dt.timedelta(days=30),
                    "fetch_count": 1,
                }
            ],
        )
    old = record_fetch(store, fetch_at(b"<rss>nobody mentioned</rss>", 8), "F")
    fresh = record_fetch(
        store, fetch_at(b"<rss>fetched yesterday</rss>", 1, url="https://g.example/feed"), "G"
    )
    backdate_blobs(store, 30)

    counts = apply_retention(store, RetentionPolicy(raw_days=7), now=NOW)
    assert counts["fetches"] == 1 and counts["evidence_blobs"] == 1
    with store.engine.connect() as connection:
        kept = set(connection.execute(sa.select(schema.evidence_blobs.c.sha256)).scalars())
    assert kept == {sha_evidence, fresh} and old not in kept
    assert store.count("fetches") == 2
    assert store.count("mentions") == len(ROWS) + 1  # history untouched: history_days unset


def test_history_days_removes_old_mentions_their_items_and_alerts(store):
    load(store)  # occurred between 2026-11-02 and 2026-11-11; alerts created now (2026-...)
    counts = apply_retention(store, RetentionPolicy(history_days=24), now=NOW)  # cutoff 2026-11-07
    # a b c d e happened on days 1-5 (before the cutoff); f was fetched on day 6.5, g on day 10.
    assert counts["mentions"] == 6  # a, b (two versions), c, d, e
    with store.engine.connect() as connection:
        left = set(connection.execute(sa.select(schema.mentions.c.item_id)).scalars())
        items = set(connection.execute(sa.select(schema.items.c.id)).scalars())
    assert left == {"it_f", "it_g"}
    # Alerts are younger than the cutoff (made when the test ran), so their items stay as evidence.
    assert items == {"it_a", "it_c", "it_e", "it_f", "it_g"}
    counts = apply_retention(
        store,
        RetentionPolicy(history_days=24),
        now=dt.datetime.now(dt.UTC) + dt.timedelta(days=400),
    )
    assert counts["alerts"] == 3 and store.count("items") == 0 and store.count("mentions") == 0


def test_an_alert_not_yet_sent_is_never_deleted_however_old(store):
    load(store)
    with store.engine.begin() as connection:
        connection.execute(
            schema.alerts.update().where(schema.alerts.c.item_id == "it_a").values(status="pending")
        )
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    counts = apply_retention(store, RetentionPolicy(history_days=24), now=later)
    assert counts["alerts"] == 2 and store.count("alerts", status="pending") == 1
    assert store.count("items") == 1  # the pending alert's item stays as its evidence


def test_dead_letters_and_processed_outbox_items_expire(store):
    store.write_dead_letters(
        [
            DeadLetter(
                "FetchFeeds", "https://x.example/f", "HTTP 404", time="2026-08-01T00:00:00Z"
            ),
            DeadLetter(
                "FetchFeeds", "https://x.example/f", "HTTP 404", time="2026-11-30T00:00:00Z"
            ),
        ]
    )
    counts = apply_retention(store, RetentionPolicy(dead_letters_days=90, seen_days=30), now=NOW)
    assert (
        counts["dead_letters"] == 1
        and store.count("dead_letters") == 1
        and counts["item_outbox"] == 0
    )


def test_a_dry_run_counts_and_deletes_nothing(store):
    load(store)
    record_fetch(store, fetch_at(b"<rss>old</rss>", 30), "F")
    backdate_blobs(store, 30)
    before = {
        t: store.count(t) for t in ("mentions", "items", "alerts", "fetches", "evidence_blobs")
    }
    counts = apply_retention(
        store, RetentionPolicy(raw_days=7, history_days=24), now=NOW, dry_run=True
    )
    assert counts["mentions"] == 6 and counts["fetches"] == 1 and counts["evidence_blobs"] == 1
    assert {t: store.count(t) for t in before} == before


def test_the_policy_comes_from_the_config(tmp_path):
    from mentionwatch.config import parse_config

    text = (
        "subjects: [{name: Dana Reyes}]\nstore:\n  url: sqlite:///x.db\n"
        "  retention: {raw_days: 3, history_days: 3650}\n"
    )
    config = parse_config(text, str(tmp_path / "c.yaml"))
    assert RetentionPolicy.from_config(config) == RetentionPolicy(
        raw_days=3, dead_letters_days=90, history_days=3650, seen_days=30
    )


def test_watch_applies_the_policy_and_reports_it_without_raising(tmp_path, store):
    from mentionwatch.config import parse_config
    from mentionwatch.jobs.watch import apply_retention_quietly

    config = parse_config("subjects: [{name: Dana Reyes}]\n", str(tmp_path / "c.yaml"))
    store.write_dead_letters(
        [DeadLetter("FetchFeeds", "https://x.example/f", "HTTP 404", time="2020-01-01T00:00:00Z")]
    )
    assert apply_retention_quietly(store, config) == "retention: 1 row(s) deleted"
    assert store.count("dead_letters") == 0
    assert apply_retention_quietly(store, config) == ""  # nothing left to delete
    with store.engine.begin() as connection:  # a broken store: the watch loop must carry on
        connection.execute(sa.text("DROP TABLE dead_letters"))
    assert apply_retention_quietly(store, config) == "retention skipped (store unavailable)"
