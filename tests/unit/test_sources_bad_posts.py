"""One malformed post is one dead letter: its page, paging and cursor go on
(sources.base.convert_each)."""

import json

import pytest

from mentionwatch.sources.base import Request, SourceSpec
from mentionwatch.sources.entries import EntryError, entry_to_item
from mentionwatch.sources.http import FetchResult
from mentionwatch.sources.registry import get_source

AT = "2026-11-22T10:00:00Z"


def page(kind: str, url: str, document, options=()):
    spec = SourceSpec(url, f"{kind} test", kind, options=options)
    result = FetchResult(
        url, 200, {"content-type": "application/json"}, json.dumps(document).encode(), AT
    )
    return get_source(kind).parse_page(spec, Request(url), result)


def test_a_mastodon_status_without_uri_fails_alone():
    good = {
        "id": "1",
        "uri": "https://social.example/@x/1",
        "url": "https://social.example/@x/1",
        "content": "<p>Dana Reyes again</p>",
        "created_at": AT,
        "account": {"acct": "x"},
    }
    result = page(
        "mastodon",
        "https://social.example/api/v1/timelines/tag/danareyes",
        [good, {"id": "2", "content": "no uri"}],
        options=(("instance", "https://social.example"), ("tag", "danareyes")),
    )
    good_entry, broken = result.entries
    assert entry_to_item(good_entry).text == "Dana Reyes again"
    assert (
        "mastodon post 1 of the page could not be read" in broken.error and "no uri" in broken.error
    )
    with pytest.raises(EntryError, match="could not be read"):
        entry_to_item(broken)


def test_a_bluesky_post_with_a_wrongly_typed_embed_fails_alone():
    def post(n, embed):
        return {
            "uri": f"at://did:plc:x/app.bsky.feed.post/{n}",
            "author": {"handle": "x.bsky.social"},
            "record": {"text": f"Dana Reyes post {n}", "createdAt": AT},
            "indexedAt": AT,
            "embed": embed,
        }

    result = page(
        "bluesky",
        "https://api.bsky.app/xrpc/app.bsky.feed.searchPosts?q=dana",
        {"posts": [post(1, None), post(2, {"images": 5}), post(3, None)], "cursor": "c2"},
        options=(("query", "dana"),),
    )
    assert [bool(e.error) for e in result.entries] == [False, True, False]
    assert "TypeError" in result.entries[1].error
    assert result.next is not None and result.newest == AT  # paging and the cursor still move on


def test_a_mastodon_rate_limit_reset_without_an_offset_is_read_as_utc():
    limit = get_source("mastodon").rate_limit(
        {"x-ratelimit-remaining": "3", "x-ratelimit-reset": "2999-01-01T00:00:00"}
    )
    assert limit.remaining == 3 and limit.reset_s > 0
    assert (
        get_source("mastodon")
        .rate_limit({"x-ratelimit-remaining": "3", "x-ratelimit-reset": "soon"})
        .reset_s
        is None
    )
