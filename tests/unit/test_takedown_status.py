"""Tracking requests: status transitions, clocks against deadlines, re-checks, the helper's notice.

Time is injected everywhere (``now=``); nothing sleeps. Re-checks use a
stand-in for ``sources.http.fetch`` here (the real fetcher against a real
HTTP server is tests/integration/test_takedown.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from history_data import classified, load

from mentionwatch.alerts.selection import make_alert
from mentionwatch.config import parse_config
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import FetchResult
from mentionwatch.store import HistoryStore, schema
from mentionwatch.store.evidence import record_fetch
from mentionwatch.store.retention import RetentionPolicy, apply_retention
from mentionwatch.takedown.draft import draft_request
from mentionwatch.takedown.rules import TakedownError, clock_of, describe_span
from mentionwatch.takedown.status import describe, mark, review

SENT = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
URL = "https://tubehub.example/v/1"


def _config(tmp_path, follow_up: str = ""):
    return parse_config(
        "subjects:\n  - name: Dana Reyes\n  - name: Sam Okafor\n"
        "notify:\n  recipients:\n"
        "    - {name: dana, role: subject, channels: [{type: console}]}\n"
        "    - name: sam\n      role: helper\n      subjects: [Dana Reyes]\n"
        f"      channels: [{{type: file, directory: '{tmp_path / 'notices'}'}}]\n" + follow_up
    )


@pytest.fixture
def store(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    load(store)
    yield store
    store.close()


def _draft(store, config, kind="ncii"):
    alert_id = make_alert(classified("c")).alert_id
    return draft_request(store, config, alert_id, kind, now=SENT - dt.timedelta(hours=1))


class Pages:
    """A stand-in for ``fetch``: answers each URL with a body or an HTTP error status."""

    def __init__(self):
        self.answers = {}
        self.calls = []

    def __call__(self, url, **kwargs):
        self.calls.append(url)
        answer = self.answers[url]
        if isinstance(answer, int):
            raise FetchError(url, f"HTTP {answer}", status=answer, headers={"server": "t"})
        return FetchResult(url, 200, {"content-type": "text/html"}, answer, "2026-11-20T09:00:00Z")


def test_a_request_moves_through_its_states(store, tmp_path):
    config = _config(tmp_path)
    draft = _draft(store, config)
    rid = draft.request_id
    assert store.takedown(rid)["status"] == "drafted"
    mark(store, rid, "sent", at=SENT)
    mark(store, rid, "acknowledged", at=SENT + dt.timedelta(hours=5), note="case 123")
    row = mark(store, rid, "removed", at=SENT + dt.timedelta(hours=20))
    assert row["status"] == "removed"
    assert row["sent_at"].replace(tzinfo=dt.UTC) == SENT
    assert row["acknowledged_at"] is not None and row["removed_at"] is not None
    events = [(e["event"], e["status"], e["detail"]) for e in store.takedown_events(rid)]
    assert events == [
        ("status", "drafted", ""),
        ("status", "sent", ""),
        ("status", "acknowledged", "case 123"),
        ("status", "removed", ""),
    ]
    # removed is closed: not listed as open, listed with --all
    assert review(store, config, now=SENT, check=False, notify=False) == []
    assert len(review(store, config, now=SENT, check=False, include_closed=True)) == 1


def test_impossible_transitions_are_refused_with_what_is_possible(store, tmp_path):
    rid = _draft(store, _config(tmp_path)).request_id
    with pytest.raises(TakedownError, match="is drafted; it can become sent, removed, not refused"):
        mark(store, rid, "refused", at=SENT)
    with pytest.raises(TakedownError, match="no takedown request 'td_missing'"):
        mark(store, "td_missing", "sent", at=SENT)
    mark(store, rid, "sent", at=SENT)
    mark(store, rid, "refused", at=SENT + dt.timedelta(days=1))
    row = mark(store, rid, "sent", at=SENT + dt.timedelta(days=2))  # sent again: clock restarts
    assert row["status"] == "sent"
    assert clock_of(row, SENT + dt.timedelta(days=2, hours=1)).elapsed == dt.timedelta(hours=1)


def test_an_ncii_request_is_overdue_after_48_hours_and_the_helper_is_told_once(store, tmp_path):
    config = _config(tmp_path)
    rid = _draft(store, config, "ncii").request_id
    mark(store, rid, "sent", at=SENT)
    before = SENT + dt.timedelta(hours=47)
    [status] = review(store, config, now=before, check=False)
    assert status.clock.running and not status.clock.overdue
    assert "due in 1 hour" in describe([status], before)[1]
    assert not (tmp_path / "notices").exists()

    after = SENT + dt.timedelta(hours=49)
    [status] = review(store, config, now=after, check=False)
    assert status.clock.overdue
    assert status.clock.due_at == SENT + dt.timedelta(hours=48)
    lines = describe([status], after)
    assert "2 days 1 hour of 2 days: past its deadline by 1 hour" in lines[1]
    assert status.notice == "helper told (sam/file)"
    [notice] = (tmp_path / "notices").rglob("*.txt")
    text = notice.read_text()
    assert "Hello sam," in text and "tubehub.example" in text
    assert URL not in text  # the host only, never the whole link
    assert f"mentionwatch takedown mark CONFIG {rid} --status acknowledged" in text
    assert "not legal advice" in text
    # told once: a later status sends nothing more
    [again] = review(store, config, now=after + dt.timedelta(hours=3), check=False)
    assert again.clock.overdue and again.notice == ""
    assert len(list((tmp_path / "notices").rglob("*.txt"))) == 1
    assert [e["event"] for e in store.takedown_events(rid)][-1] == "notice"


def test_other_kinds_follow_up_after_the_configured_days(store, tmp_path):
    config = _config(tmp_path, "takedown:\n  follow_up_days: {dmca: 3}\n")
    rid = _draft(store, config, "dmca").request_id
    row = mark(store, rid, "sent", at=SENT)
    assert row["deadline_hours"] == 72
    assert "follow up 3 days after sending" in row["deadline_rule"]
    assert not clock_of(row, SENT + dt.timedelta(hours=71)).overdue
    assert clock_of(row, SENT + dt.timedelta(hours=73)).overdue
    platform = _draft(store, config, "platform").request_id
    assert store.takedown(platform)["deadline_hours"] == 7 * 24  # the documented default


def test_a_drafted_request_has_no_clock(store, tmp_path):
    rid = _draft(store, _config(tmp_path)).request_id
    clock = clock_of(store.takedown(rid), SENT + dt.timedelta(days=30))
    assert not clock.running and not clock.overdue and clock.due_at is None


def test_recheck_records_removal_on_410_with_the_fetch_as_evidence(store, tmp_path):
    config = _config(tmp_path)
    rid = _draft(store, config).request_id
    mark(store, rid, "sent", at=SENT)
    pages = Pages()
    pages.answers[URL] = b"<html>Dana Reyes hotel tape, watch now</html>"
    [status] = review(store, config, now=SENT + dt.timedelta(hours=2), fetcher=pages, notify=False)
    assert [c.outcome for c in status.checks] == ["serving"]
    assert status.request["status"] == "sent"

    pages.answers[URL] = 410
    later = SENT + dt.timedelta(hours=30)
    [status] = review(store, config, now=later, fetcher=pages, notify=False)
    assert [(c.outcome, c.http_status) for c in status.checks] == [("removed", 410)]
    row = store.takedown(rid)
    assert row["status"] == "removed" and row["removed_at"].replace(tzinfo=dt.UTC) == later
    check = [e for e in store.takedown_events(rid) if e["event"] == "check"][-1]
    with store.engine.connect() as connection:
        fetch = (
            connection.execute(
                sa.select(schema.fetches).where(schema.fetches.c.fetch_id == check["fetch_id"])
            )
            .mappings()
            .one()
        )
    assert fetch["status"] == 410 and fetch["url"] == URL and fetch["source"] == "takedown re-check"
    assert "link 1 tubehub.example/…: removed (HTTP 410)" in describe([status], later)[2]
    # the re-check's evidence outlives the raw-body retention, like an item's
    stale = FetchResult("https://other.example/feed", 200, {}, b"old feed", "2026-11-01T00:00:00Z")
    record_fetch(store, stale, "Other")
    month_later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    purged = apply_retention(store, RetentionPolicy(raw_days=1), now=month_later)
    assert purged["fetches"] == 1  # the stale feed went; the re-check stays
    with store.engine.connect() as connection:
        kept = connection.execute(
            sa.select(sa.func.count()).where(schema.fetches.c.fetch_id == check["fetch_id"])
        ).scalar_one()
    assert kept == 1


def test_a_page_that_no_longer_shows_the_content_counts_as_gone(store, tmp_path):
    config = _config(tmp_path)
    rid = _draft(store, config).request_id
    pages = Pages()
    pages.answers[URL] = b"<html>a page</html>"
    [status] = review(store, config, now=SENT, fetcher=pages, notify=False)
    assert status.checks[0].outcome == "reachable"  # never showed it: cannot tell
    pages.answers[URL] = b"<html>DANA REYES full video</html>"
    review(store, config, now=SENT + dt.timedelta(hours=1), fetcher=pages, notify=False)
    pages.answers[URL] = b"<html>This video is no longer available</html>"
    [status] = review(store, config, now=SENT + dt.timedelta(hours=2), fetcher=pages)
    assert status.checks[0].outcome == "gone"
    assert store.takedown(rid)["status"] == "removed"  # a draft whose content is gone


def test_a_failed_recheck_changes_nothing_and_names_no_link(store, tmp_path):
    config = _config(tmp_path)
    rid = _draft(store, config).request_id
    mark(store, rid, "sent", at=SENT)
    pages = Pages()
    pages.answers[URL] = 503
    [status] = review(store, config, now=SENT, fetcher=pages, notify=False)
    assert status.checks[0].outcome == "unknown" and status.request["status"] == "sent"
    line = describe([status], SENT)[2]
    assert "HTTP 503" in line and URL not in line


def test_a_recheck_never_fetches_a_private_address(store, tmp_path, monkeypatch):
    config = _config(tmp_path)
    rid = _draft(store, config).request_id
    with store.transaction() as connection:
        connection.execute(
            sa.update(schema.takedown_requests)
            .where(schema.takedown_requests.c.request_id == rid)
            .values(urls=["http://169.254.169.254/latest/meta-data/"])
        )
    pages = Pages()  # stands in for the real fetch behind the guard: never reached
    monkeypatch.setattr("mentionwatch.takedown.recheck.fetch", pages)
    [status] = review(store, config, now=SENT, notify=False)  # the default, guarded fetcher
    assert pages.calls == []
    assert status.checks[0].outcome == "unknown"
    assert "non-public address refused" in status.checks[0].detail


def test_overdue_without_a_helper_says_what_to_add(store, tmp_path):
    config = parse_config("subjects:\n  - name: Dana Reyes\n  - name: Sam Okafor\n")
    rid = _draft(store, config).request_id
    mark(store, rid, "sent", at=SENT)
    [status] = review(store, config, now=SENT + dt.timedelta(days=3), check=False)
    assert status.notice.startswith("no helper to tell: add a recipient with role: helper")
    assert store.takedown(rid)["overdue_noticed_at"] is None


def test_describe_span_reads_at_a_glance():
    assert describe_span(dt.timedelta(minutes=40)) == "40 minutes"
    assert describe_span(dt.timedelta(hours=49)) == "2 days 1 hour"
    assert describe_span(dt.timedelta(0)) == "0 minutes"
