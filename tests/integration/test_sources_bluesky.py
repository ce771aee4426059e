"""Bluesky: facets and timestamps against the atproto fixtures, the XRPC source on 127.0.0.1.

No licensed recording of ``searchPosts``/``getAuthorFeed`` exists (see the
corpus SOURCES.md): the envelopes are built per the lexicons around real
records (indigo's capture of @atproto.com, 2023) and real postViews
(MarshalX's getPostThread response), by ``replay.CursorPager``.
"""

import json

import pytest
from helpers import Route
from replay import CursorPager, bluesky_post_views, install, poll_once, source_specs_from

from mentionwatch.sources import entries
from mentionwatch.sources.base import SourceSpec
from mentionwatch.sources.bluesky import (
    BlueskySource,
    facet_features,
    post_text,
    post_view_to_entry,
)
from mentionwatch.textutil import html_to_text

BSKY = "bluesky"


def block(server, extra: str) -> str:
    lines = "".join(f"      {line.strip()}\n" for line in extra.strip().splitlines())
    return f"  bluesky:\n    - base_url: {server.base_url}\n{lines}"


# ---------------------------------------------------------------------- facets (UTF-8 byte offsets)


def test_facets_slice_utf8_bytes_and_skip_out_of_range(corpora):
    fixtures = json.loads((corpora / BSKY / "indigo/transform-post-fixtures.json").read_text())
    record = fixtures[1][
        "PostRecord"
    ]  # emoji text, one link facet at bytes 74-108 of a 77-byte text
    found = facet_features(record["text"], record["facets"])
    assert [(f.kind, f.value) for f in found] == [
        ("mention", "did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
        ("tag", "some"),
    ]
    assert [f.value for f in found if f.kind == "mention"] == fixtures[1]["PostDoc"]["mention_did"]
    # The out-of-range link is ignored, not sliced into garbage, and nothing raises.
    assert "wikipedia" not in post_text(record)
    for fixture in fixtures:  # every fixture goes through without error
        post_text(fixture["PostRecord"])


def test_a_facet_after_multibyte_emoji_maps_to_the_right_characters(corpora):
    record = json.loads(
        (corpora / BSKY / "granary/note_with_article_tag_indices.bsky.json").read_text()
    )
    (link,) = facet_features(record["text"], record["facets"])
    assert (link.kind, link.text, link.value) == ("link", "foo", "http://xyz/foo")
    assert (
        record["text"][link.start : link.end] == "foo"
    )  # character offsets, after a 25-byte family emoji
    assert "http://xyz/foo" in post_text(record)  # the full target is added for matching


@pytest.mark.parametrize(
    "index",
    [
        {"byteStart": 7, "byteEnd": 8},  # inside a 4-byte emoji: does not decode
        {"byteStart": -1, "byteEnd": 3},
        {"byteStart": 5, "byteEnd": 5},
        {"byteStart": 3, "byteEnd": 1000},
        {"byteStart": "0", "byteEnd": 3},
        {"byteStart": True, "byteEnd": 3},
    ],
)
def test_malformed_facets_are_ignored(index):
    facets = [
        {
            "index": index,
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://x.example"}],
        }
    ]
    assert facet_features("hey 🙂 you", facets) == []


def test_the_real_post_view_of_a_quote_with_an_image(corpora):
    post = json.loads(
        (
            corpora / BSKY / "marshalx-atproto/test_data/thread_view_post_with_embed_media.json"
        ).read_text()
    )["thread"]["post"]
    spec = SourceSpec("https://api.example/xrpc/app.bsky.feed.searchPosts?q=x", "bsky", "bluesky")
    entry = post_view_to_entry(post, spec, "ref", "2026-01-01T00:00:00Z")
    assert entry.link == "https://bsky.app/profile/test.marshal.dev/post/3kaheyt6vpc22"
    assert entry.guid == "bluesky:" + post["uri"] and entry.language == "en"
    assert (
        entries.parse_iso_timestamp(entry.published_at.removeprefix("raw:"))
        == "2023-09-28T12:49:36Z"
    )
    # Empty text, an image without alt text and a quoted post: only the quoted text could mention
    # anyone.
    assert html_to_text(entry.body) == post["embed"]["record"]["record"]["value"]["text"]


# --------------------------------------------------------------------- the XRPC source on 127.0.0.1


@pytest.mark.integration
def test_search_pages_with_cursor_then_uses_since(feed_server, corpora):
    install(feed_server)
    views = bluesky_post_views(corpora)
    pager = CursorPager(views, "posts")
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts"] = pager
    (spec,) = source_specs_from(
        block(
            feed_server,
            "search: atproto\nlimit: 8\nmax_pages: 5\naccess_token_env: TEST_BSKY_TOKEN",
        )
    )
    outcome = poll_once(spec, environ={"TEST_BSKY_TOKEN": "jwt"})

    assert outcome.status == "fetched" and outcome.pages == 3, outcome.error
    assert [c.get("cursor") for c in pager.calls] == [None, "8", "16"]
    assert all(h["Authorization"] == "Bearer jwt" for _, _, h in feed_server.requests)
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert len(items) + outcome.skipped == 20 and len({i.id for i in items}) == len(items)
    first = items[0]
    assert (
        first.url.startswith("https://bsky.app/profile/atproto.com/post/")
        and first.author == "atproto.com"
    )
    assert (
        "https://github.com/bluesky-social/atproto/discussions/1933" in first.text
    )  # the external card
    assert outcome.cursor == max(v["indexedAt"] for v in views)[:19] + "Z"

    pager.calls.clear()
    poll_once(spec, {"cursor": outcome.cursor}, environ={"TEST_BSKY_TOKEN": "jwt"})
    assert pager.calls[0]["since"] == outcome.cursor


@pytest.mark.integration
def test_author_feed_and_the_same_post_has_the_same_id_both_ways(feed_server, corpora):
    install(feed_server)
    views = bluesky_post_views(corpora)
    feed_server.routes["/xrpc/app.bsky.feed.getAuthorFeed"] = CursorPager(
        views, "feed", wrap=lambda v: {"post": v}
    )
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts"] = CursorPager(views[:3], "posts")
    actor, search = source_specs_from(
        block(feed_server, "actor: atproto.com\nlimit: 50")
        + block(feed_server, "search: x").replace("  bluesky:\n", "")
    )
    from_feed = {entries.entry_to_item(e).id for e in poll_once(actor).entries}
    from_search = {entries.entry_to_item(e).id for e in poll_once(search).entries}
    assert from_search and from_search <= from_feed


@pytest.mark.integration
def test_truncated_json_and_429_with_retry_after(feed_server, corpora):
    install(feed_server)
    body = json.dumps({"posts": bluesky_post_views(corpora)[:5], "cursor": "5"}).encode()
    feed_server.routes["/xrpc/app.bsky.feed.searchPosts?q=cut&sort=latest&limit=50"] = Route(
        body[: len(body) // 2]
    )
    feed_server.routes[
        "/xrpc/app.bsky.feed.getAuthorFeed?actor=busy.example.com&filter=posts_with_replies&limit=50"
    ] = Route(
        b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}',
        status=429,
        headers={"Retry-After": "120", "RateLimit-Remaining": "0", "RateLimit-Reset": "9999999999"},
    )
    cut, busy = source_specs_from(
        block(feed_server, "search: cut")
        + block(feed_server, "actor: busy.example.com").replace("  bluesky:\n", "")
    )
    outcome = poll_once(cut)
    assert (
        outcome.status == "failed"
        and outcome.error_stage == "ParseEntries"
        and "not valid JSON" in outcome.error
    )
    outcome = poll_once(busy)
    assert outcome.status == "failed" and outcome.http_status == 429 and outcome.defer_s == 120.0
    assert (
        BlueskySource()
        .rate_limit({"ratelimit-remaining": "0", "ratelimit-reset": "9999999999"})
        .exhausted(2)
    )
