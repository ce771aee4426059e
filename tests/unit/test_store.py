import dataclasses

from mentionwatch.records import Alert, Classification, ClassifiedMention, DeadLetter, Item, Mention, Span
from mentionwatch.store import HistoryStore


def make(store_path, model_version="1"):
    item = Item("it_1", "forum", "https://f.example/1", "t", "text", published_at="2026-11-22T10:00:00Z")
    mention = Mention(item, "Dana Reyes", (Span("text", 0, 4, "text", "text"),))
    result = Classification("harassment", "threat", {"harassment": 0.9, "benign": 0.1}, "m", model_version, {"harassment": 0.5})
    return ClassifiedMention(mention, result)


def alert(alert_id="al_1"):
    return Alert(alert_id, "Dana Reyes", "harassment", "threat", "critical", "it_1", "mn_1", "https://f.example/1",
                 "forum", "t", "text", None, "2026-11-22T10:00:00Z", {"harassment": 0.9}, "m", "1")


def test_mentions_upsert_by_mention_and_model_version(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    store.write_mentions([make(tmp_path)])
    store.write_mentions([make(tmp_path)])  # a replay changes nothing
    assert store.count("mentions") == 1 and store.count("items") == 1
    store.write_mentions([make(tmp_path, model_version="2")])  # a new model adds a row
    assert store.count("mentions") == 2


def test_alerts_are_recorded_pending_then_published_once(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    assert store.record_alerts([alert()]) == ["al_1"]
    assert [a.alert_id for a in store.pending_alerts()] == ["al_1"]
    store.mark_failed({"al_1": "unavailable"})
    assert store.count("alerts", status="pending") == 1
    store.mark_published({"al_1": "msg-9"})
    assert store.pending_alerts() == []
    # Recording the same alert again (a re-run) does not make it sendable again.
    assert store.record_alerts([alert()]) == []
    assert store.count("alerts") == 1


def test_dead_letters_are_stored(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    store.write_dead_letters([DeadLetter("FetchFeeds", "https://x.example/f", "FetchError: HTTP 404")])
    assert store.count("dead_letters", stage="FetchFeeds") == 1


def test_sqlite_uses_wal(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
