"""Reddit against praw's and liscopridge's recorded responses, replayed on 127.0.0.1."""

import base64
import datetime as dt
import json
import urllib.parse

import pytest
from helpers import Route
from replay import (
    RedditListingPager,
    find,
    install,
    load_betamax,
    load_vcr,
    poll_once,
    response,
    serve,
    source_specs_from,
)

from mentionwatch.sources import entries
from mentionwatch.sources.reddit import fullname_from_feed_entry

pytestmark = pytest.mark.integration

PRAW = "reddit/praw-cassettes"


def reddit_block(server, extra: str) -> str:
    base = server.base_url
    return (
        "  reddit:\n"
        f"    - base_url: {base}\n      oauth_base_url: {base}/oauth\n"
        f"      token_url: {base}/api/v1/access_token\n"
        + "".join(f"      {line.strip()}\n" for line in extra.strip().splitlines())
    )


def test_oauth_search_gets_a_token_then_reads_the_listing(feed_server, corpora):
    install(feed_server)
    recorded = load_betamax(corpora / PRAW / "TestSubreddit.test_search.json")
    token = find(recorded, "POST", "access_token")
    feed_server.routes["/api/v1/access_token"] = lambda handler: (
        Route(token.body, headers={"Content-Type": "application/json"})
        if handler.body == b"grant_type=client_credentials"
        and handler.headers["Authorization"]
        == "Basic " + base64.b64encode(b"app-id:app-secret").decode()
        else Route(b'{"error": "invalid_grant"}', status=401)
    )
    # praw searched r/all with sort=relevance; our source asks /search?sort=new: same Listing shape.
    serve(
        feed_server,
        find(recorded, "GET", "/search"),
        at="/oauth/search?q=praw+oauth+search&sort=new&limit=100&raw_json=1",
    )
    (spec,) = source_specs_from(
        reddit_block(
            feed_server,
            """
        query: praw oauth search
        client_id_env: TEST_REDDIT_ID
        client_secret_env: TEST_REDDIT_SECRET
    """,
        )
    )
    outcome = poll_once(
        spec, environ={"TEST_REDDIT_ID": "app-id", "TEST_REDDIT_SECRET": "app-secret"}
    )

    assert outcome.status == "fetched" and outcome.pages == 1, outcome.error
    get = next(h for m, p, h in feed_server.requests if m == "GET")
    assert (
        get["Authorization"] == "bearer <ACCESS_TOKEN>"
    )  # the recorded token, sent as Reddit expects
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert [i.url.rsplit("/comments/", 1)[1].split("/")[0] for i in items] == [
        "3gpbiu",
        "3x4kt2",
        "3b4erh",
        "1qvzkd",
        "3qc02b",
        "4at068",
    ]
    first = items[0]
    recorded_post = find(recorded, "GET", "/search").json()["data"]["children"][0]["data"]
    assert first.url.startswith("https://www.reddit.com/r/redditdev/comments/3gpbiu/")
    assert first.author == recorded_post["author"]
    assert first.published_at == dt.datetime.fromtimestamp(
        recorded_post["created_utc"], dt.UTC
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (
        "<div" not in first.text and "<p>" not in first.text and first.text.startswith("solved")
    )  # HTML stripped
    assert any("I don't want to use PRAW" in i.text for i in items)  # &#39; decoded
    assert outcome.cursor == max(i.published_at for i in items)


def test_without_credentials_requests_are_anonymous_json(feed_server, corpora):
    install(feed_server)
    recorded = load_betamax(corpora / PRAW / "TestSubredditStreams.test_comments__with_pause.json")
    serve(feed_server, recorded[1], at="/r/kakapo/comments.json?limit=100&raw_json=1")
    (spec,) = source_specs_from(
        reddit_block(
            feed_server,
            """
        subreddit: kakapo
        listing: comments
        client_id_env: TEST_REDDIT_ID
        client_secret_env: TEST_REDDIT_SECRET
    """,
        )
    )
    outcome = poll_once(spec, environ={})  # the variables are not set: anonymous

    assert outcome.status == "fetched", outcome.error
    assert not any(m == "POST" for m, _, _ in feed_server.requests)
    assert "Authorization" not in feed_server.requests[0][2]
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert len(items) == 15 and all(i.title == "" for i in items)  # comments carry no title
    assert (
        outcome.skipped == 1
    )  # one comment is only an emote link: no text to match, counted not dead-lettered
    first = items[0]
    assert first.text == "i lick it" and first.author == "butt_woman"
    # 2017 comments had no permalink: built from the link id and the comment id.
    assert first.url == "https://www.reddit.com/r/kakapo/comments/654eqk/_/dgauydy/"


def test_paging_follows_after_and_stops_at_the_cursor(feed_server, corpora):
    install(feed_server)
    listing = load_betamax(corpora / PRAW / "TestSubredditListings.test_new.json")[1].json()
    pager = RedditListingPager(listing, overlap=2)  # posts arriving while we page: pages overlap
    feed_server.routes["/r/askreddit/new.json"] = pager
    (spec,) = source_specs_from(
        reddit_block(
            feed_server,
            """
        subreddit: askreddit
        limit: 30
        max_pages: 5
    """,
        )
    )
    first = poll_once(spec)
    assert first.status == "fetched" and first.pages == 4 and not first.truncated
    names = [c["data"]["name"] for c in listing["data"]["children"]]
    # each page ends 30 posts on, less the 2 re-sent at its top
    assert [c.get("after") for c in pager.calls] == [None, names[29], names[57], names[85]]
    ids = [entries.entry_to_item(e).id for e in first.entries]
    assert len(ids) == 100 + 3 * 2  # the overlap arrives twice ...
    assert len(set(ids)) == 100  # ... with the same ids, so the outbox keeps one of each

    # Next poll: the newest page already reaches back past the cursor; no paging.
    pager.calls.clear()
    again = poll_once(spec, {"cursor": first.cursor})
    assert again.pages == 1 and again.cursor == first.cursor


def test_a_burst_beyond_max_pages_is_reported_as_truncated(feed_server, corpora):
    install(feed_server)
    listing = load_betamax(corpora / PRAW / "TestSubredditListings.test_new.json")[1].json()
    feed_server.routes["/r/askreddit/new.json"] = RedditListingPager(listing)
    (spec,) = source_specs_from(
        reddit_block(feed_server, "subreddit: askreddit\nlimit: 10\nmax_pages: 2")
    )
    outcome = poll_once(
        spec, {"cursor": "2016-03-01T00:00:00Z"}
    )  # everything on the pages is newer
    assert outcome.pages == 2 and outcome.truncated and len(outcome.entries) == 20


def test_403_with_rate_limit_headers_is_a_failure_and_exhaustion_defers(feed_server, corpora):
    install(feed_server)
    forbidden = load_betamax(
        corpora / PRAW / "TestRedditorListings.test_downvoted__other_user.json"
    )[1]
    serve(feed_server, forbidden, at="/r/private_place/new.json?limit=100&raw_json=1")
    (spec,) = source_specs_from(reddit_block(feed_server, "subreddit: private_place"))
    outcome = poll_once(spec)
    assert outcome.status == "failed" and outcome.http_status == 403 and "HTTP 403" in outcome.error
    assert outcome.defer_s is None  # 598 requests were left: nothing to wait for

    # The same recorded headers with the budget spent: stop paging, wait for the reset.
    listing = load_betamax(corpora / PRAW / "TestSubredditListings.test_new.json")[1]
    spent = dict(
        response(forbidden).headers, **{"x-ratelimit-remaining": "1.0", "x-ratelimit-reset": "459"}
    )
    feed_server.routes["/r/askreddit/new.json?limit=100&raw_json=1"] = Route(
        listing.body, headers=spent
    )
    (busy,) = source_specs_from(reddit_block(feed_server, "subreddit: askreddit"))
    outcome = poll_once(busy)
    assert outcome.status == "fetched" and outcome.pages == 1 and outcome.defer_s == 459.0
    assert len(outcome.entries) == 100


def test_the_rss_and_the_json_of_one_listing_give_the_same_item_ids(feed_server, corpora):
    install(feed_server)
    recorded = load_vcr(corpora / "reddit/liscopridge-cassettes/test_subreddit_atom_minscore.yaml")
    serve(feed_server, find(recorded, contains="/.rss"), at="/r/thinkpad/top/.rss?limit=100&t=week")
    serve(
        feed_server,
        find(recorded, contains="top.json"),
        at="/r/thinkpad/top.json?limit=100&raw_json=1&t=week",
    )
    rss, js = source_specs_from(
        reddit_block(
            feed_server,
            "subreddit: thinkpad\nlisting: top\ntime_filter: week\nformat: rss\nname: rss",
        )
        + reddit_block(
            feed_server, "subreddit: thinkpad\nlisting: top\ntime_filter: week\nname: json"
        ).replace("  reddit:\n", "")
    )
    from_rss = {entries.entry_to_item(e).id: e for e in poll_once(rss).entries}
    from_json = {entries.entry_to_item(e).id: e for e in poll_once(js).entries}
    # The recorded JSON was trimmed to 3 posts, the feed has 5: all 3 have the same ids both ways.
    assert len(from_json) == 3 and len(from_rss) == 5 and set(from_json) <= set(from_rss)
    entry = next(iter(from_rss.values()))
    assert entry.author and not entry.author.startswith("/u/")


def test_feed_entries_whose_id_was_edited_are_identified_from_the_permalink(corpora):
    from mentionwatch.sources.http import FetchResult

    body = (corpora / "reddit/rss-samples/prof18-rss-parser/atom-feed-reddit.xml").read_bytes()
    (entry,) = entries.parse_feed(
        FetchResult(
            "https://www.reddit.com/r/minecraft.rss", 200, {}, body, "2026-01-01T00:00:00Z"
        ),
        "r",
    )
    assert entry.guid == "https://www.redditstatic.com/icon.png/"  # edited upstream
    assert fullname_from_feed_entry(entry) == "t3_1ldu6hr"
    assert urllib.parse.urlsplit(entry.link).path.endswith(
        "/1ldu6hr/vibrant_visuals_troubleshooting/"
    )


def test_a_comment_tree_response_is_read_from_its_listing(feed_server, corpora):
    install(feed_server)
    recorded = load_betamax(corpora / PRAW / "TestSubreddit.test_submit__url_selftext.json")
    serve(
        feed_server,
        find(recorded, contains="/comments/1kh35wk"),
        at="/r/test_place/new.json?limit=100&raw_json=1",
    )
    (spec,) = source_specs_from(reddit_block(feed_server, "subreddit: test_place"))
    outcome = poll_once(spec)
    (item,) = [entries.entry_to_item(e) for e in outcome.entries]
    assert item.id == entries.entry_to_item(outcome.entries[0]).id and "reddit" not in item.text
    assert item.published_at.startswith("2025-")
    assert (
        json.loads(find(recorded, contains="/comments/").body)[0]["data"]["children"][0]["data"][
            "name"
        ]
        == "t3_1kh35wk"
    )


def test_an_empty_listing_and_a_followed_redirect(feed_server, corpora):
    install(feed_server)
    empty = load_betamax(corpora / PRAW / "TestListingGenerator.test_no_items.json")[1]
    serve(feed_server, empty, at="/r/quiet_place/new.json?limit=100&raw_json=1")
    (quiet,) = source_specs_from(reddit_block(feed_server, "subreddit: quiet_place"))
    outcome = poll_once(quiet)
    assert (
        outcome.status == "fetched"
        and outcome.entries == ()
        and outcome.cursor is None
        and outcome.pages == 1
    )

    # Reddit's recorded 301 (a share link), its Location pointed at the local server: followed.
    moved = load_betamax(corpora / PRAW / "TestSubmission.test_resolve_from_share_url.json")[1]
    assert moved.status == 301
    comments = load_betamax(corpora / PRAW / "TestSubmission.test_comments.json")[1]
    target = urllib.parse.urlsplit(moved.headers["location"]).path
    feed_server.routes["/r/moved_place/new.json?limit=100&raw_json=1"] = Route(
        moved.body, status=301, headers={"Location": feed_server.url(target)}
    )
    serve(feed_server, comments, at=target)
    (spec,) = source_specs_from(reddit_block(feed_server, "subreddit: moved_place"))
    outcome = poll_once(spec)
    assert outcome.status == "fetched" and [e.guid for e in outcome.entries] == ["reddit:t3_2gmzqe"]
