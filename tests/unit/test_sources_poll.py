"""The generic poll loop with a fake fetcher: paging, cursors, 304, deferral, rate limits, partial
failures."""

import dataclasses
import datetime as dt
import json

import pytest

from mentionwatch.sources import registry
from mentionwatch.sources.base import Page, RateLimit, Request, Session, Source, SourceSpec
from mentionwatch.sources.entries import RawEntry
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import FetchResult
from mentionwatch.sources.poll_once import HostGate, PollContext, poll_source

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


class FakeSource(Source):
    """Pages are JSON: {"posts": [[id, iso], ...], "next": url|null}; X-Left / X-Reset headers."""

    kind = "fake"

    def first_request(self, spec, cursor, *, authenticated):
        return Request(spec.url, conditional=spec.option("conditional", False))

    def has_credentials(self, spec, environ):
        return "FAKE_TOKEN" in environ

    def credentials(self, spec, session):
        if session.environ["FAKE_TOKEN"] == "broken":
            raise FetchError("https://auth.example/token", "HTTP 401 Unauthorized", status=401)
        return {"Authorization": "Bearer " + session.environ["FAKE_TOKEN"]}

    def rate_limit(self, headers):
        if "x-left" not in headers:
            return None
        return RateLimit(float(headers["x-left"]), float(headers.get("x-reset", 60)))

    def parse_page(self, spec, request, result):
        data = json.loads(result.body)
        entries = tuple(
            RawEntry(
                spec.name,
                spec.url,
                f"fake:{i}",
                f"https://fake.example/{i}",
                "",
                f"post {i}",
                "",
                when,
                None,
                "r",
                "t",
            )
            for i, when in data["posts"]
        )
        times = [when for _, when in data["posts"]]
        following = Request(data["next"]) if data.get("next") else None
        return Page(entries, following, max(times, default=None), min(times, default=None))


@pytest.fixture(autouse=True)
def fake_kind(monkeypatch):
    monkeypatch.setitem(registry._SOURCES, "fake", FakeSource())


class Fetcher:
    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def __call__(self, url, **kwargs):
        self.calls.append((url, kwargs))
        answer = self.pages[url]
        if isinstance(answer, Exception):
            raise answer
        if answer == 304:
            return FetchResult(url, 304, {}, b"", "t", not_modified=True)
        body, headers = answer if isinstance(answer, tuple) else (answer, {})
        return FetchResult(url, 200, {"etag": '"e1"', **headers}, json.dumps(body).encode(), "t")


def page(ids, start_minute, following=None):
    return {
        "posts": [[i, f"2026-11-22T11:{start_minute - n:02d}:00Z"] for n, i in enumerate(ids)],
        "next": following,
    }


def context(fetcher, environ=None, gate=None):
    return PollContext(
        fetch=fetcher,
        pace=lambda: None,
        session=Session(fetcher, environ or {}, lambda: 0.0),
        gate=gate or HostGate(),
        now=lambda: NOW,
    )


SPEC = SourceSpec("https://fake.example/p1", "Fake", "fake", max_pages=3)
PAGES = {
    "https://fake.example/p1": page(["a", "b"], 50, "https://fake.example/p2"),
    "https://fake.example/p2": page(["c", "d"], 40, "https://fake.example/p3"),
    "https://fake.example/p3": page(["e", "f"], 30, "https://fake.example/p4"),
    "https://fake.example/p4": page(["g"], 20),
}


def test_pages_up_to_max_pages_and_the_cursor_is_the_newest_post():
    fetcher = Fetcher(PAGES)
    outcome = poll_source(SPEC, {}, context(fetcher))
    assert outcome.status == "fetched" and outcome.pages == 3
    assert [e.guid for e in outcome.entries] == [
        "fake:a",
        "fake:b",
        "fake:c",
        "fake:d",
        "fake:e",
        "fake:f",
    ]
    assert outcome.cursor == "2026-11-22T11:50:00Z"
    assert not outcome.truncated  # the first poll is bounded by design, not a gap


def test_paging_stops_at_the_first_page_older_than_the_cursor():
    fetcher = Fetcher(PAGES)
    outcome = poll_source(SPEC, {"cursor": "2026-11-22T11:40:00Z"}, context(fetcher))
    assert outcome.pages == 2 and outcome.cursor == "2026-11-22T11:50:00Z"


def test_a_gap_is_reported_when_max_pages_ends_before_the_cursor():
    outcome = poll_source(SPEC, {"cursor": "2026-11-22T11:00:00Z"}, context(Fetcher(PAGES)))
    assert outcome.pages == 3 and outcome.truncated and outcome.cursor == "2026-11-22T11:50:00Z"


def test_a_failure_on_a_later_page_keeps_the_entries_but_not_the_cursor():
    pages = dict(
        PAGES,
        **{
            "https://fake.example/p2": FetchError(
                "https://fake.example/p2", "HTTP 502", status=502, transient=True
            )
        },
    )
    outcome = poll_source(SPEC, {"cursor": "2026-11-22T11:00:00Z"}, context(Fetcher(pages)))
    assert (
        outcome.status == "failed"
        and outcome.http_status == 502
        and outcome.error_stage == "PollFeeds"
    )
    assert [e.guid for e in outcome.entries] == ["fake:a", "fake:b"] and outcome.cursor is None


def test_an_unreadable_page_is_a_parse_failure():
    pages = dict(PAGES, **{"https://fake.example/p1": "not a page"})
    outcome = poll_source(SPEC, {}, context(Fetcher(pages)))
    assert outcome.status == "failed" and outcome.error_stage == "ParseEntries"


def test_retry_after_defers_and_a_deferred_source_is_not_requested():
    busy = FetchError(
        "https://fake.example/p1", "HTTP 429", status=429, transient=True, retry_after=90
    )
    outcome = poll_source(SPEC, {}, context(Fetcher({"https://fake.example/p1": busy})))
    assert outcome.status == "failed" and outcome.defer_s == 90
    fetcher = Fetcher(PAGES)
    later = poll_source(SPEC, {"next_fetch_at": NOW + dt.timedelta(seconds=30)}, context(fetcher))
    assert later.status == "deferred" and fetcher.calls == []


def test_429_without_retry_after_uses_the_rate_limit_reset():
    busy = FetchError(
        "https://fake.example/p1", "HTTP 429", status=429, headers={"x-left": "0", "x-reset": "300"}
    )
    gate = HostGate()
    outcome = poll_source(SPEC, {}, context(Fetcher({"https://fake.example/p1": busy}), gate=gate))
    assert outcome.defer_s == 300 and gate.blocked(NOW)  # the budget is spent for the whole host


def test_an_exhausted_rate_limit_stops_paging_and_blocks_the_host():
    pages = dict(
        PAGES,
        **{
            "https://fake.example/p1": (
                PAGES["https://fake.example/p1"],
                {"x-left": "1", "x-reset": "120"},
            )
        },
    )
    gate = HostGate()
    outcome = poll_source(SPEC, {}, context(Fetcher(pages), gate=gate))
    assert outcome.status == "fetched" and outcome.pages == 1 and outcome.defer_s == 120
    other = dataclasses.replace(SPEC, url="https://fake.example/p3", name="Other")
    fetcher = Fetcher(PAGES)
    assert (
        poll_source(other, {}, context(fetcher, gate=gate)).status == "deferred"
        and fetcher.calls == []
    )


def test_conditional_get_and_304():
    spec = dataclasses.replace(SPEC, options=(("conditional", True),), max_pages=1)
    fetcher = Fetcher({"https://fake.example/p1": 304})
    outcome = poll_source(
        spec, {"etag": '"e0"', "last_modified": "Sat, 21 Nov 2026 10:00:00 GMT"}, context(fetcher)
    )
    assert outcome.status == "not_modified" and outcome.entries == ()
    assert fetcher.calls[0][1]["etag"] == '"e0"' and fetcher.calls[0][1][
        "last_modified"
    ].startswith("Sat")
    fresh = poll_source(spec, {}, context(Fetcher(PAGES)))
    assert fresh.etag == '"e1"'


def test_credentials_are_sent_and_their_failure_is_the_sources_failure():
    fetcher = Fetcher(PAGES)
    poll_source(SPEC, {}, context(fetcher, environ={"FAKE_TOKEN": "t0k"}))
    assert all(kwargs["headers"]["Authorization"] == "Bearer t0k" for _, kwargs in fetcher.calls)
    broken = poll_source(SPEC, {}, context(Fetcher(PAGES), environ={"FAKE_TOKEN": "broken"}))
    assert (
        broken.status == "failed" and "credentials" in broken.error and "broken" not in broken.error
    )
