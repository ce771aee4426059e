"""The ingest job over every source kind's recorded fixtures, with injected errors.

One local HTTP server on 127.0.0.1 plays Reddit, Mastodon, Bluesky, the HN
Algolia API, YouTube, Google Alerts and plain feeds (recorded responses from
../shared/corpora, see tests/replay.py), plus six injected failures: a 403
(Reddit's recorded one), a 404 (Mastodon's recorded one), a 429 with
Retry-After, a 503, a truncated JSON body and a response slower than the
timeout. The real Pub/Sub emulator carries the items.

Checked: items have stable ids (a second store gets the same ones), nothing is
published twice (overlapping pages, the same Bluesky posts from a search and
an author feed), dead letters are exactly the injected errors, every source's
health is recorded, the operator hears about the failing source on the
dead-letters topic (never on the alerts topic), and ``sources status`` shows it.
"""

import json
import textwrap

import pytest
import sqlalchemy as sa
from helpers import Route
from replay import (
    AlgoliaPager,
    CursorPager,
    MastodonPager,
    RedditListingPager,
    algolia_hits,
    bluesky_post_views,
    find,
    install,
    load_betamax,
    load_vcr,
    serve,
)

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.ingest import run_ingest
from mentionwatch.messages import decode_items
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.store import HistoryStore, schema

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PRAW = "reddit/praw-cassettes"
MASTODON = "mastodon/mastodon.py-cassettes"
XML = {"Content-Type": "application/atom+xml"}


def serve_everything(server, corpora):
    """Every fixture route; returns the paths of the injected failures."""
    install(server)
    # ---- Reddit
    search = load_betamax(corpora / PRAW / "TestSubreddit.test_search.json")
    server.routes["/api/v1/access_token"] = Route(
        find(search, "POST").body, headers={"Content-Type": "application/json"}
    )
    serve(
        server,
        find(search, "GET"),
        at="/oauth/search?q=praw+oauth+search&sort=new&limit=100&raw_json=1",
    )
    listing = load_betamax(corpora / PRAW / "TestSubredditListings.test_new.json")[1].json()
    server.routes["/r/askreddit/new.json"] = RedditListingPager(listing, overlap=2)
    comments = load_betamax(corpora / PRAW / "TestSubredditStreams.test_comments__with_pause.json")[
        1
    ]
    serve(server, comments, at="/r/kakapo/comments.json?limit=100&raw_json=1")
    thinkpad = load_vcr(corpora / "reddit/liscopridge-cassettes/test_subreddit_atom_minscore.yaml")
    serve(server, find(thinkpad, contains="/.rss"), at="/r/thinkpad/top/.rss?limit=100&t=week")
    forbidden = load_betamax(
        corpora / PRAW / "TestRedditorListings.test_downvoted__other_user.json"
    )[1]
    serve(server, forbidden, at="/r/private_place/new.json?limit=100&raw_json=1")  # injected: 403
    # ---- Mastodon
    pagination = load_vcr(corpora / MASTODON / "local-instance/test_get_pagination_info.yaml")
    serve(server, find(pagination, contains="/statuses?limit=5"))
    server.routes[
        "/api/v1/accounts/117020565966271181/statuses?limit=5&max_id=117020581882406424"
    ] = Route(b"[]")
    public = find(
        load_vcr(corpora / MASTODON / "local-instance/test_public_tl.yaml"),
        contains="/timelines/public",
    )
    server.routes["/api/v1/timelines/tag/paging"] = MastodonPager(
        public.json(), server, "/api/v1/timelines/tag/paging"
    )
    searchv2 = find(
        load_vcr(corpora / MASTODON / "mastodon.social/test_entity_searchv2.yaml"),
        contains="/api/v2/search",
    )
    serve(server, searchv2, at="/api/v2/search?q=halcy&type=statuses&resolve=false&limit=40")
    missing = load_vcr(corpora / MASTODON / "local-instance/test_status_missing.yaml")[0]
    serve(server, missing, at="/api/v1/timelines/tag/gone?limit=40")  # injected: 404
    # ---- Bluesky (envelopes per the lexicons around real records)
    views = bluesky_post_views(corpora)
    server.routes["/xrpc/app.bsky.feed.searchPosts"] = CursorPager(views, "posts")
    server.routes["/xrpc/app.bsky.feed.getAuthorFeed"] = CursorPager(
        views, "feed", wrap=lambda v: {"post": v}
    )
    body = json.dumps({"posts": views[:5], "cursor": "5"}).encode()
    server.routes["/xrpc/app.bsky.feed.searchPosts?q=cut&sort=latest&limit=50"] = Route(
        body[: len(body) // 2]
    )  # injected
    server.routes[
        "/xrpc/app.bsky.feed.getAuthorFeed?actor=busy.example.com&filter=posts_with_replies&limit=50"
    ] = Route(
        b'{"error":"RateLimitExceeded"}', status=429, headers={"Retry-After": "120"}
    )  # injected: 429
    # ---- Hacker News
    recorded = (
        corpora / "hackernews/algolia-node-hacker-news-api/split/"
        "search_by_date_hitsPerPage_1_tags_comment_query_apple.json"
    )
    server.routes["/api/v1/search_by_date?hitsPerPage=1&tags=(comment)&query=apple"] = Route(
        recorded.read_bytes()
    )
    server.routes["/api/v1/search_by_date"] = AlgoliaPager(algolia_hits(corpora))
    # ---- YouTube, Google Alerts, feeds
    server.routes["/feeds/videos.xml?channel_id=UC9PBzalIcEQCsiIkq36PyUA"] = Route(
        (corpora / "youtube/capyreader/atom-feed-youtube.xml").read_bytes(), headers=XML
    )
    server.routes["/feeds/videos.xml?channel_id=UCMCgOm8GZkHp8zJ6l7_hIuA"] = Route(
        (corpora / "youtube/feeder/feed.xml").read_bytes(), headers=XML
    )
    server.routes["/feeds/videos.xml?playlist_id=PLdown000000"] = Route(
        b"upstream down", status=503
    )  # injected
    server.routes["/alerts/feeds/1/2"] = Route(
        (corpora / "google-alerts/feedjira/google_alerts_atom.xml").read_bytes(), headers=XML
    )
    server.routes["/alerts/feeds/1/slow"] = Route(
        b"<feed/>", headers=XML, delay=2.5
    )  # injected: slower than the timeout
    server.routes["/feed.json"] = Route(
        (corpora / "rss-realworld/netnewswire/inessential.json").read_bytes(),
        headers={"Content-Type": "application/feed+json"},
    )
    server.routes["/rss.xml"] = Route(
        (corpora / "rss-realworld/netnewswire/donthitsave.xml").read_bytes()
    )
    return {
        ("PollFeeds", "/r/private_place/new.json"),
        ("PollFeeds", "/api/v1/timelines/tag/gone"),
        ("PollFeeds", "actor=busy.example.com"),
        ("PollFeeds", "playlist_id=PLdown000000"),
        ("PollFeeds", "/alerts/feeds/1/slow"),
        ("ParseEntries", "q=cut"),
    }


def sources_yaml(base: str) -> str:
    reddit = (
        f"base_url: {base}, oauth_base_url: {base}/oauth, token_url: {base}/api/v1/access_token"
    )
    return textwrap.dedent(
        f"""
        sources:
          reddit:
            - {{{reddit}, query: praw oauth search, client_id_env: TEST_REDDIT_ID, """
        f"""client_secret_env: TEST_REDDIT_SECRET}}
            - {{{reddit}, subreddit: askreddit, limit: 30, max_pages: 5}}
            - {{{reddit}, subreddit: kakapo, listing: comments}}
            - {{{reddit}, subreddit: thinkpad, listing: top, time_filter: week, format: rss}}
            - {{{reddit}, subreddit: private_place, name: Private subreddit, """
        f"""alert_after_failures: 1}}
          mastodon:
            - {{instance: {base}, account_id: "117020565966271181", limit: 5}}
            - {{instance: {base}, tag: paging, limit: 3, max_pages: 5}}
            - {{instance: {base}, search: halcy}}
            - {{instance: {base}, tag: gone}}
          bluesky:
            - {{base_url: {base}, search: atproto, limit: 8, max_pages: 5}}
            - {{base_url: {base}, actor: atproto.com, limit: 6, max_pages: 5}}
            - {{base_url: {base}, search: cut}}
            - {{base_url: {base}, actor: busy.example.com}}
          hackernews:
            - {{base_url: {base}/api/v1, query: apple, tags: "(comment)", limit: 1, max_pages: 1}}
            - {{base_url: {base}/api/v1, query: pg, limit: 4, max_pages: 10}}
          youtube:
            - {{base_url: {base}, channel_id: UC9PBzalIcEQCsiIkq36PyUA}}
            - {{base_url: {base}, channel_id: UCMCgOm8GZkHp8zJ6l7_hIuA}}
            - {{base_url: {base}, playlist_id: PLdown000000}}
          google_alerts:
            - {{url: "{base}/alerts/feeds/1/2"}}
            - {{url: "{base}/alerts/feeds/1/slow", name: Slow alert}}
          feeds:
            - {{url: "{base}/feed.json", name: JSON Feed}}
            - {{url: "{base}/rss.xml", name: RSS}}
        """
    )


def make_config(tmp_path, name, emulator, base, db="h.db"):
    text = textwrap.dedent(
        f"""
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/{db}
        fetch:
          timeout_s: 1.0
        pubsub:
          project: mentionwatch-test
          emulator: true
          emulator_host: {emulator.endpoint}
          topics: {{alerts: {name}-alerts, items: {name}-items, dead_letters: {name}-dead}}
          subscriptions: {{alerts: {name}-alerts-sub, items: {name}-items-sub}}
        ingest:
          host_min_interval_s: 0
          items_per_message: 50
        """
    ) + sources_yaml(base)
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    loaded = LoadedConfig(parse_config(text, str(path)), path)
    ensure_resources(loaded.config.pubsub, emulator.endpoint)
    return loaded


def pull(emulator, subscription: str) -> list:
    subscriber = subscriber_client(emulator.endpoint)
    messages = []
    try:
        while True:
            response = subscriber.pull(
                request={"subscription": subscription, "max_messages": 100}, timeout=5
            )
            if not response.received_messages:
                return messages
            messages += [m.message for m in response.received_messages]
            subscriber.acknowledge(
                request={
                    "subscription": subscription,
                    "ack_ids": [m.ack_id for m in response.received_messages],
                }
            )
    finally:
        subscriber.close()


def published_ids(loaded, emulator) -> list[str]:
    settings = loaded.config.pubsub
    messages = pull(emulator, settings.subscription_path(settings.subscriptions.items))
    return [item.id for m in messages for item in decode_items(m.data)]


def dead_letter_refs(store) -> list[tuple[str, str]]:
    with store.engine.connect() as connection:
        return [
            tuple(r)
            for r in connection.execute(
                sa.select(schema.dead_letters.c.stage, schema.dead_letters.c.ref)
            ).all()
        ]


def matches(refs, injected) -> bool:
    return sorted(stage for stage, _ in refs) == sorted(stage for stage, _ in injected) and all(
        any(stage == s and fragment in ref for stage, ref in refs) for s, fragment in injected
    )


def test_ingest_over_every_source_kind(
    tmp_path, pubsub_emulator, feed_server, corpora, monkeypatch, capsys
):
    monkeypatch.setenv("TEST_REDDIT_ID", "app-id")
    monkeypatch.setenv("TEST_REDDIT_SECRET", "app-secret")
    injected = serve_everything(feed_server, corpora)
    loaded = make_config(tmp_path, "srcs", pubsub_emulator, feed_server.base_url)
    settings = loaded.config.pubsub
    dead_topic = settings.topic_path(settings.topics.dead_letters)
    operator = settings.subscription_path("srcs-operator")
    subscriber = subscriber_client(pubsub_emulator.endpoint)
    subscriber.create_subscription(request={"name": operator, "topic": dead_topic})
    subscriber.close()

    # ---- first run
    first = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    ids = published_ids(loaded, pubsub_emulator)
    assert first.failed == len(injected) and first.deferred == 0
    assert (
        len(ids) == len(set(ids)) == first.new_items == first.published
    )  # nothing twice, across pages and sources
    store = HistoryStore(loaded.config.store.url)
    refs = dead_letter_refs(store)
    assert matches(refs, injected), refs  # dead letters are exactly the injected errors
    assert store.count("item_outbox") == len(ids)
    # Each kind contributed (the same Bluesky posts via search and author feed: stored once).
    with store.engine.connect() as connection:
        by_source = dict(
            connection.execute(
                sa.select(schema.item_outbox.c.source, sa.func.count()).group_by(
                    schema.item_outbox.c.source
                )
            ).all()
        )
    assert (
        by_source["Reddit r/askreddit new"] == 100
        and by_source["Reddit search 'praw oauth search'"] == 6
    )
    assert by_source["Reddit r/kakapo comments"] == 15 and by_source["Reddit r/thinkpad top"] == 5
    host = feed_server.base_url.removeprefix("http://")
    assert (
        by_source[f"Mastodon @117020565966271181 on {host}"] == 5
        and by_source[f"Mastodon #paging on {host}"] == 8
    )
    assert by_source[f"Mastodon search 'halcy' on {host}"] == 2
    # 20 real posts, found by both the search and the author feed: 20 items, whichever source came
    # first.
    assert (
        by_source.get("Bluesky search 'atproto'", 0) + by_source.get("Bluesky @atproto.com", 0)
        == 20
    )
    # The recorded 'apple' comment is one of the pooled hits too: one item.
    assert by_source.get("Hacker News 'apple'", 0) + by_source.get("Hacker News 'pg'", 0) == len(
        algolia_hits(corpora)
    )
    assert (
        by_source["YouTube UC9PBzalIcEQCsiIkq36PyUA"] == 15
        and by_source["YouTube UCMCgOm8GZkHp8zJ6l7_hIuA"] == 15
    )
    assert by_source["Google Alert " + feed_server.url("/alerts/feeds/1/2")] == 20
    assert by_source["JSON Feed"] == 20 and by_source["RSS"] == 10

    # Health per source: every source has a row; failures counted, the 429 deferred, cursors stored.
    states = {s["name"]: s for s in store.all_feed_states()}
    assert len(states) == 22
    failing = {n for n, s in states.items() if s["consecutive_failures"]}
    assert failing == {
        "Private subreddit",
        f"Mastodon #gone on {host}",
        "Bluesky search 'cut'",
        "Bluesky @busy.example.com",
        "YouTube PLdown000000",
        "Slow alert",
    }
    assert states["Bluesky @busy.example.com"]["next_fetch_at"] is not None
    assert states["Reddit r/askreddit new"]["cursor"] == "2016-03-01T08:37:38Z"
    assert (
        states["Reddit r/askreddit new"]["kind"] == "reddit"
        and states["Reddit r/askreddit new"]["items_total"] == 100
    )
    assert (
        "timed out" in states["Slow alert"]["last_error"]
        and "HTTP 403" in states["Private subreddit"]["last_error"]
    )

    # The operator is told about the source that reached its failure threshold, on the
    # dead-letters topic.
    notices = pull(pubsub_emulator, operator)
    assert [
        (m.attributes["kind"], m.attributes["source"], m.attributes["state"]) for m in notices
    ] == [("source_health", "Private subreddit", "failing")]
    assert json.loads(notices[0].data)["consecutive_failures"] == 1
    assert (
        pull(pubsub_emulator, settings.subscription_path(settings.subscriptions.alerts)) == []
    )  # never the subject's topic

    # ---- second run on the same store: nothing new, the 429 source waits, no repeated notice
    second = run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    assert (second.new_items, second.published, second.deferred, second.failed) == (
        0,
        0,
        1,
        len(injected) - 1,
    )
    assert published_ids(loaded, pubsub_emulator) == []
    assert pull(pubsub_emulator, operator) == []
    assert len(dead_letter_refs(store)) == 2 * len(injected) - 1
    states = {s["name"]: s for s in store.all_feed_states()}
    assert states["Private subreddit"]["consecutive_failures"] == 2
    assert (
        states["Bluesky @busy.example.com"]["consecutive_failures"] == 1
    )  # deferred, not polled again

    # ---- the status command shows it
    from mentionwatch.cli import main

    assert main(["sources", "status", str(loaded.path), "--check"]) == 1
    out = capsys.readouterr().out
    assert "Private subreddit" in out and "failing" in out and "22 sources" in out

    # ---- stable ids: the same fixtures into a fresh store give the same ids
    again = make_config(tmp_path, "srcs2", pubsub_emulator, feed_server.base_url, db="fresh.db")
    run_ingest(again, emulator_host=pubsub_emulator.endpoint)
    assert sorted(published_ids(again, pubsub_emulator)) == sorted(ids)
