"""fetch() against a real HTTP server on 127.0.0.1 and against files."""

import gzip
import hashlib

import pytest
from helpers import Route

from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import fetch, parse_retry_after, resolve_url


def test_fetch_returns_the_raw_body_and_headers(feed_server):
    feed_server.routes["/feed"] = Route(
        b"<rss/>", headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    )
    got = fetch(feed_server.url("/feed"), user_agent="mw-test")
    assert (got.status, got.body, got.etag) == (200, b"<rss/>", '"v1"')
    assert got.sha256 == hashlib.sha256(b"<rss/>").hexdigest()
    assert feed_server.requests[-1][2]["User-Agent"] == "mw-test"


def test_gzip_bodies_are_decoded(feed_server):
    feed_server.routes["/gz"] = Route(
        gzip.compress(b"<rss>zipped</rss>"), headers={"Content-Encoding": "gzip"}
    )
    assert fetch(feed_server.url("/gz")).body == b"<rss>zipped</rss>"


def test_conditional_get_sends_validators_and_understands_304(feed_server):
    feed_server.routes["/cond"] = lambda handler: (
        Route(status=304)
        if handler.headers.get("If-None-Match") == '"v1"'
        else Route(b"<rss/>", headers={"ETag": '"v1"'})
    )
    first = fetch(feed_server.url("/cond"))
    second = fetch(
        feed_server.url("/cond"), etag=first.etag, last_modified="Sun, 22 Nov 2026 10:00:00 GMT"
    )
    assert second.not_modified and second.body == b""
    assert feed_server.requests[-1][2]["If-Modified-Since"] == "Sun, 22 Nov 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    "route, transient, retry_after",
    [
        (Route(b"gone", status=404), False, None),
        (Route(b"no", status=403), False, None),
        (Route(b"slow down", status=429, headers={"Retry-After": "120"}), True, 120.0),
        (Route(b"oops", status=503), True, None),
    ],
)
def test_http_errors_say_whether_a_retry_can_help(feed_server, route, transient, retry_after):
    feed_server.routes["/e"] = route
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/e"))
    assert caught.value.status == route.status
    assert caught.value.transient is transient
    assert caught.value.retry_after == retry_after
    assert f"HTTP {route.status}" in str(caught.value)


def test_slow_server_times_out(feed_server):
    feed_server.routes["/slow"] = Route(b"<rss/>", delay=2.0)
    with pytest.raises(FetchError, match="timed out") as caught:
        fetch(feed_server.url("/slow"), timeout=0.5)
    assert caught.value.transient


def test_unreachable_host_is_a_transient_error():
    with pytest.raises(FetchError, match="cannot connect") as caught:
        fetch("http://127.0.0.1:9/feed", timeout=2)
    assert caught.value.transient


def test_oversized_response_is_refused(feed_server):
    feed_server.routes["/big"] = Route(b"x" * 5000)
    with pytest.raises(FetchError, match="larger than 1000 bytes"):
        fetch(feed_server.url("/big"), max_bytes=1000)


def test_file_urls_relative_to_the_config_folder(tmp_path):
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "a.xml").write_bytes(b"<rss/>")
    url = resolve_url("file:feeds/a.xml", tmp_path)
    assert url == (tmp_path / "feeds" / "a.xml").as_uri()
    assert fetch(url).body == b"<rss/>"
    assert resolve_url("https://x.example/f", tmp_path) == "https://x.example/f"
    with pytest.raises(FetchError, match="file not found"):
        fetch(resolve_url("file:feeds/missing.xml", tmp_path))


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("30") == 30.0
    assert parse_retry_after("Sun, 22 Nov 2026 10:01:00 GMT", now=1795341600.0) == 60.0
    assert parse_retry_after("soon") is None
