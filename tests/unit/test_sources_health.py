"""Source health: states, the operator notice timeline, and the status table."""

import datetime as dt
import json

from mentionwatch.sources.base import SourceSpec
from mentionwatch.sources.health import REMIND_AFTER, assess, decide, format_status, status_rows

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
SPEC = SourceSpec(
    "https://www.reddit.com/search.json?q=dana",
    "Reddit search",
    "reddit",
    expected_update_period_s=6 * 3600,
    alert_after_failures=3,
)


def health(row):
    return assess(
        row,
        expected_update_period_s=SPEC.expected_update_period_s,
        alert_after_failures=SPEC.alert_after_failures,
        now=NOW,
    )


def test_states():
    assert health(None).state == "new"
    ok = {"consecutive_failures": 0, "last_item_at": NOW - dt.timedelta(hours=1)}
    assert health(ok).state == "ok"
    assert (
        health(dict(ok, consecutive_failures=2, last_error="x")).state == "ok"
    )  # below the threshold
    failing = health(
        dict(ok, consecutive_failures=3, last_error="https://x: HTTP 403 Forbidden\ntrace")
    )
    assert (
        failing.state == "failing"
        and "HTTP 403 Forbidden" in failing.reason
        and "trace" not in failing.reason
    )
    assert health(dict(ok, last_item_at=NOW - dt.timedelta(hours=7))).state == "silent"
    never = health({"consecutive_failures": 0, "first_poll_at": NOW - dt.timedelta(days=1)})
    assert never.state == "silent" and "no item ever" in never.reason
    assert health(dict(ok, next_fetch_at=NOW + dt.timedelta(minutes=5))).state == "deferred"


def test_notice_timeline():
    failing_row = {"consecutive_failures": 3, "last_error": "HTTP 500", "last_item_at": NOW}
    first = decide(SPEC, failing_row, health(failing_row), now=NOW, items_per_day=4.0)
    assert first.event == "failing" and first.attributes["kind"] == "source_health"
    body = json.loads(first.body)
    assert (
        body["source"] == "Reddit search"
        and body["state"] == "failing"
        and body["items_per_day"] == 4.0
    )
    told = dict(failing_row, health_state="failing", health_alerted_at=NOW)
    assert (
        decide(SPEC, told, health(told), now=NOW + dt.timedelta(hours=1)) is None
    )  # no repeat within a day
    reminder = decide(SPEC, told, health(told), now=NOW + REMIND_AFTER + dt.timedelta(seconds=1))
    assert reminder.event == "reminder"
    recovered_row = dict(told, consecutive_failures=0)
    recovered = decide(SPEC, recovered_row, health(recovered_row), now=NOW)
    assert recovered.event == "recovered" and recovered.state == "ok"
    assert (
        decide(
            SPEC,
            {"consecutive_failures": 0, "last_item_at": NOW},
            health({"consecutive_failures": 0, "last_item_at": NOW}),
            now=NOW,
        )
        is None
    )


def test_status_table_has_no_credentials_or_post_text():
    rows = status_rows(
        [SPEC],
        {
            SPEC.url: {
                "consecutive_failures": 3,
                "last_error": "HTTP 401",
                "items_total": 7,
                "last_success_at": NOW - dt.timedelta(hours=2),
            }
        },
        {SPEC.url: 1.5},
        NOW,
    )
    assert rows[0]["state"] == "failing" and rows[0]["items_per_day"] == 1.5
    text = "\n".join(format_status(rows, NOW))
    assert "Reddit search" in text and "2h ago" in text and "failing" in text
