"""Every configs/sources-*.yaml example, pointed at the local fixture server, polls successfully.

The example is loaded as written, only its base URLs are replaced by the
local server (127.0.0.1) serving recorded responses per endpoint.
"""

import pathlib
import urllib.parse

import pytest
import yaml
from helpers import Route
from replay import (
    AlgoliaPager,
    CursorPager,
    MastodonPager,
    algolia_hits,
    bluesky_post_views,
    find,
    install,
    load_betamax,
    load_vcr,
    response,
)

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.sources import entries
from mentionwatch.sources.registry import source_specs

pytestmark = pytest.mark.integration

CONFIGS = pathlib.Path(__file__).resolve().parents[2] / "configs"
INSTANCES = ("/i0", "/i1", "/i2")  # local stand-ins for the examples' Mastodon instances
INSTANCE_HOSTS = {"mastodon.social", "mastodon.example"}


def fixture_routes(server, corpora):
    """One route per endpoint the examples use (any query), answering with recorded data."""
    install(server)
    praw = corpora / "reddit/praw-cassettes"
    search = find(load_betamax(praw / "TestSubreddit.test_search.json"), contains="/search")
    comments = load_betamax(praw / "TestSubredditStreams.test_comments__with_pause.json")[1]
    rss = find(
        load_vcr(corpora / "reddit/liscopridge-cassettes/test_subreddit_atom_minscore.yaml"),
        contains="/.rss",
    )
    mastodon = corpora / "mastodon/mastodon.py-cassettes"
    public = find(
        load_vcr(mastodon / "local-instance/test_public_tl.yaml"), contains="/timelines/public"
    ).json()
    searchv2 = find(
        load_vcr(mastodon / "mastodon.social/test_entity_searchv2.yaml"), contains="/api/v2/search"
    )
    account = find(
        load_vcr(mastodon / "local-instance/test_get_pagination_info.yaml"),
        contains="verify_credentials",
    )
    views = bluesky_post_views(corpora)
    fixed = {
        "/search.json": response(search),
        "/r/example_reuploads/comments.json": response(comments),
        "/r/example_reuploads/new/.rss": response(rss),
        "/feeds/videos.xml": Route(
            (corpora / "youtube/capyreader/atom-feed-youtube.xml").read_bytes()
        ),
        "/latest.atom": Route((corpora / "rss-realworld/netnewswire/donthitsave.xml").read_bytes()),
    }
    account_id = account.json()["id"]
    for instance in INSTANCES:  # each example instance is a path prefix on the local server
        fixed[f"{instance}/api/v2/search"] = response(searchv2)
        fixed[f"{instance}/api/v1/accounts/lookup"] = response(account)
        for path in (
            f"{instance}/api/v1/timelines/tag/DanaReyes",
            f"{instance}/api/v1/accounts/{account_id}/statuses",
        ):
            server.routes[path] = MastodonPager(public, server, path)
    for path, route in fixed.items():
        server.routes[path] = lambda handler, route=route: route
    server.routes["/xrpc/app.bsky.feed.searchPosts"] = CursorPager(views, "posts")
    server.routes["/xrpc/app.bsky.feed.getAuthorFeed"] = CursorPager(
        views, "feed", wrap=lambda v: {"post": v}
    )
    server.routes["/api/v1/search_by_date"] = AlgoliaPager(algolia_hits(corpora))
    alerts = Route((corpora / "google-alerts/feedjira/google_alerts_atom.xml").read_bytes())
    server.routes["/alerts/feeds/00000000000000000000/0000000000000000000"] = lambda handler: alerts


def local(url: str, server) -> str:
    parts = urllib.parse.urlsplit(url)
    return server.base_url + parts.path + (f"?{parts.query}" if parts.query else "")


def pointed_at(data: dict, server) -> dict:
    """The example with every base URL replaced by the local server's."""
    for kind, blocks in data["sources"].items():
        for block in blocks if isinstance(blocks, list) else [blocks]:
            if kind == "reddit":
                block.update(
                    base_url=server.base_url,
                    oauth_base_url=server.url("/oauth"),
                    token_url=server.url("/token"),
                )
            elif kind == "mastodon":
                block["instance"] = (
                    server.base_url
                    + INSTANCES[
                        sorted(INSTANCE_HOSTS).index(
                            urllib.parse.urlsplit(block["instance"]).netloc
                        )
                    ]
                )
            elif kind in ("bluesky", "youtube"):
                block["base_url"] = server.base_url
            elif kind == "hackernews":
                block["base_url"] = server.url("/api/v1")
            elif kind in ("feeds", "google_alerts"):
                block["url"] = local(block["url"], server)
    return data


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("sources-*.yaml")), ids=lambda p: p.name)
def test_example_polls_against_fixtures(path, feed_server, corpora, tmp_path):
    fixture_routes(feed_server, corpora)
    data = pointed_at(yaml.safe_load(path.read_text()), feed_server)
    text = yaml.safe_dump(data, sort_keys=False)
    loaded = LoadedConfig(parse_config(text, str(tmp_path / path.name)), tmp_path / path.name)
    specs = source_specs(loaded)
    assert specs, f"{path.name} configures no polled source"

    from replay import poll_once

    for spec in specs:
        outcome = poll_once(spec, environ={})  # no credentials in the environment: anonymous
        assert outcome.status == "fetched", f"{spec.name}: {outcome.error}"
        items = [entries.entry_to_item(e) for e in outcome.entries]
        assert items, spec.name
        assert len({i.id for i in items}) == len(items)
