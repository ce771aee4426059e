"""The store's source state: cursor, kind, items per day, health state (SQLite)."""

import datetime as dt

from mentionwatch.store import HistoryStore


def test_cursor_kind_items_per_day_and_health(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path}/s.db")
    url = "https://www.reddit.com/search.json?q=dana"
    store.record_feed_success(
        url, "Reddit", status=200, kind="reddit", cursor="2026-11-22T10:00:00Z", new_items=6
    )
    store.record_feed_success(
        url, "Reddit", status=200, kind="reddit", new_items=3, defer_s=120, truncated=True
    )
    state = store.feed_states([url])[url]
    assert state["cursor"] == "2026-11-22T10:00:00Z"  # kept when a poll brings no new cursor
    assert (
        state["kind"] == "reddit"
        and state["items_total"] == 9
        and state["first_poll_at"] is not None
    )
    assert state["next_fetch_at"] is not None and state["last_truncated_at"] is not None
    assert store.items_per_day([url]) == {url: 9.0}  # first polled today: averaged over one day
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    assert store.items_per_day([url], now=later) == {url: 9 / 4}

    store.record_feed_failure(
        url, "Reddit", error="HTTP 500", status=500, kind="reddit", new_items=1
    )
    state = store.feed_states([url])[url]
    assert (
        state["consecutive_failures"] == 1
        and state["items_total"] == 10
        and state["cursor"] == "2026-11-22T10:00:00Z"
    )

    store.set_source_health(url, "failing", dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    assert store.feed_states([url])[url]["health_state"] == "failing"
    store.close()
