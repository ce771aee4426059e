"""fetch() additions for API sources: request headers, POST bodies, redirects, short bodies."""

import pytest
from helpers import FeedServer, Route

from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import fetch

pytestmark = pytest.mark.integration


def test_headers_and_post_body_reach_the_server(feed_server):
    feed_server.routes["/token"] = lambda h: Route(h.body, headers={"Content-Type": "text/plain"})
    result = fetch(
        feed_server.url("/token"),
        data=b"grant_type=client_credentials",
        headers={"Authorization": "Basic abc", "Accept": "application/json"},
    )
    method, _, headers = feed_server.requests[0]
    assert method == "POST" and result.body == b"grant_type=client_credentials"
    assert headers["Authorization"] == "Basic abc" and headers["Accept"] == "application/json"


def test_credentials_are_not_carried_to_another_origin_on_redirect(feed_server):
    other = FeedServer().start()
    try:
        other.routes["/landing"] = Route(b"{}")
        feed_server.routes["/moved"] = Route(
            status=301, headers={"Location": other.url("/landing")}
        )
        feed_server.routes["/here"] = Route(status=302, headers={"Location": "/same-origin"})
        feed_server.routes["/same-origin"] = Route(b"{}")
        local = (
            "127.0.0.0/8",
        )  # redirects reach loopback only when allowed (test_hostile covers the refusal)
        fetch(
            feed_server.url("/moved"),
            headers={"Authorization": "bearer secret"},
            allowed_networks=local,
        )
        assert "Authorization" not in other.requests[0][2]
        fetch(
            feed_server.url("/here"),
            headers={"Authorization": "bearer secret"},
            allowed_networks=local,
        )
        assert (
            feed_server.requests[-1][1] == "/same-origin"
            and feed_server.requests[-1][2]["Authorization"] == "bearer secret"
        )
    finally:
        other.stop()


def test_a_body_shorter_than_its_content_length_is_a_transient_failure(feed_server):
    feed_server.routes["/cut"] = Route(b'{"posts": [', headers={"Content-Length": "5000"})
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/cut"), timeout=2)
    assert caught.value.transient


def test_error_responses_keep_their_headers(feed_server):
    feed_server.routes["/limited"] = Route(
        b"", status=429, headers={"X-Ratelimit-Remaining": "0", "Retry-After": "30"}
    )
    with pytest.raises(FetchError) as caught:
        fetch(feed_server.url("/limited"))
    assert caught.value.retry_after == 30 and caught.value.headers["x-ratelimit-remaining"] == "0"
