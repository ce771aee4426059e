"""Hacker News (Algolia), YouTube, Google Alerts and JSON Feed against their recordings, on
127.0.0.1."""

import json
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from helpers import Route
from replay import AlgoliaPager, algolia_hits, install, poll_once, source_specs_from

from mentionwatch.sources import entries
from mentionwatch.sources.google_alerts import unwrap_redirect
from mentionwatch.textutil import html_to_text

pytestmark = pytest.mark.integration

HN = "hackernews/algolia-node-hacker-news-api/split"


def test_hacker_news_search_by_date_recording(feed_server, corpora):
    install(feed_server)
    index = {e["url"]: e["file"] for e in json.loads((corpora / HN / "INDEX.json").read_text())}
    recorded_url = (
        "https://hn.algolia.com/api/v1/search_by_date?hitsPerPage=1&tags=(comment)&query=apple"
    )
    parts = urllib.parse.urlsplit(recorded_url)
    body = (corpora / HN / ".." / index[recorded_url]).read_bytes()
    feed_server.routes[f"/api/v1/search_by_date?{parts.query}"] = lambda h: Route(
        body, headers={"Content-Type": "application/json"}
    )
    (spec,) = source_specs_from(
        f"  hackernews:\n    - base_url: {feed_server.base_url}/api/v1\n"
        "      query: apple\n      tags: '(comment)'\n"
        "      limit: 1\n      max_pages: 1\n"
    )
    outcome = poll_once(spec)  # the request matches the recorded one (query order aside)
    assert outcome.status == "fetched", outcome.error
    (item,) = [entries.entry_to_item(e) for e in outcome.entries]
    assert item.url == "https://news.ycombinator.com/item?id=7919418" and item.title == ""
    assert (
        "aren't contributing" in item.text and "&#x27;" not in item.text and "<i>" not in item.text
    )
    assert item.published_at == "2014-06-20T03:32:34Z" and item.author == "fleitz"


def test_hacker_news_pages_and_filters_on_the_cursor(feed_server, corpora):
    install(feed_server)
    hits = algolia_hits(corpora)
    pager = AlgoliaPager(hits)
    feed_server.routes["/api/v1/search_by_date"] = pager
    (spec,) = source_specs_from(
        f"  hackernews:\n    - base_url: {feed_server.base_url}/api/v1\n"
        "      query: apple\n      limit: 4\n      max_pages: 10\n"
    )
    first = poll_once(spec)
    assert first.pages == -(-len(hits) // 4) and len(first.entries) == len(hits)
    stories = [entries.entry_to_item(e) for e in first.entries if e.title]
    assert stories and all(
        s.url.startswith("https://news.ycombinator.com/item?id=") for s in stories
    )
    pager.calls.clear()
    poll_once(spec, {"cursor": first.cursor})
    newest = max(h["created_at_i"] for h in hits)
    assert pager.calls[0]["numericFilters"] == f"created_at_i>={newest}"


@pytest.mark.parametrize("folder", ["capyreader", "feedjira", "feeder", "prof18-rss-parser"])
def test_youtube_channel_feeds(feed_server, corpora, folder):
    install(feed_server)
    path = next((corpora / "youtube" / folder).glob("*.xml"))
    feed_server.routes["/feeds/videos.xml?channel_id=UC9PBzalIcEQCsiIkq36PyUA"] = lambda h: Route(
        path.read_bytes(), headers={"Content-Type": "application/atom+xml"}
    )
    (spec,) = source_specs_from(
        f"  youtube:\n    - base_url: {feed_server.base_url}\n"
        "      channel_id: UC9PBzalIcEQCsiIkq36PyUA\n"
    )
    outcome = poll_once(spec)
    assert outcome.status == "fetched" and outcome.entries, outcome.error  # bozo copies still parse
    items = [entries.entry_to_item(e) for e in outcome.entries]
    # The text is the media:description of each entry.
    ns = {
        "a": "http://www.w3.org/2005/Atom",
        "media": "http://search.yahoo.com/mrss/",
        "yt": "http://www.youtube.com/xml/schemas/2015",
    }
    root = ET.fromstring(path.read_bytes().lstrip())
    for entry_xml, item in zip(root.findall("a:entry", ns), items, strict=True):
        video = entry_xml.find("yt:videoId", ns).text
        description = entry_xml.find("media:group/media:description", ns).text or ""
        assert item.url == f"https://www.youtube.com/watch?v={video}"
        if description:
            assert item.text == html_to_text(description)
    assert outcome.entries[0].id_scope == "youtube"


def test_the_same_video_in_a_channel_and_a_playlist_is_one_item(feed_server, corpora):
    install(feed_server)
    body = (corpora / "youtube/prof18-rss-parser/atom-feed-youtube.xml").read_bytes()

    def route(h):
        return Route(body, headers={"Content-Type": "application/atom+xml"})

    feed_server.routes["/feeds/videos.xml?channel_id=UCP7uiEZIqci43m22KDl0sNw"] = route
    feed_server.routes["/feeds/videos.xml?playlist_id=PLlFc5cFwUnmy2tbYwEnuDQJ6pSrUZ0K6u"] = route
    channel, playlist = source_specs_from(
        f"  youtube:\n    - base_url: {feed_server.base_url}\n"
        "      channel_id: UCP7uiEZIqci43m22KDl0sNw\n"
        f"    - base_url: {feed_server.base_url}\n"
        "      playlist_id: PLlFc5cFwUnmy2tbYwEnuDQJ6pSrUZ0K6u\n"
    )
    assert {entries.entry_to_item(e).id for e in poll_once(channel).entries} == {
        entries.entry_to_item(e).id for e in poll_once(playlist).entries
    }


def test_google_alerts_unwraps_links_and_strips_bold(feed_server, corpora):
    install(feed_server)
    body = (corpora / "google-alerts/feedjira/google_alerts_atom.xml").read_bytes()
    feed_server.routes["/alerts/feeds/0417/4428"] = lambda h: Route(
        body, headers={"Content-Type": "application/atom+xml"}
    )
    (spec,) = source_specs_from(
        f"  google_alerts:\n    - url: {feed_server.url('/alerts/feeds/0417/4428')}\n"
    )
    outcome = poll_once(spec)
    items = [entries.entry_to_item(e) for e in outcome.entries]
    assert len(items) == 20
    assert not any("google.com/url" in i.url for i in items)
    assert items[0].url.startswith(
        "https://www.aglobalmarketresearch.com/report-offers-prediction-of-automotive-slack"
    )
    assert all("<b>" not in i.title for i in items) and "Automotive Slack Market" in items[0].title
    assert all(i.author == "" for i in items)


@pytest.mark.parametrize(
    "link, expected",
    [
        (
            "https://www.google.com/url?rct=j&sa=t&url=https://news.example/a%3Fb%3D1&ct=ga",
            "https://news.example/a?b=1",
        ),
        ("https://www.google.co.uk/url?q=https://x.example/&sa=U", "https://x.example/"),
        (
            "https://www.google.com/url?url=javascript:alert(1)",
            "https://www.google.com/url?url=javascript:alert(1)",
        ),
        (
            "https://news.example/url?url=https://elsewhere.example/",
            "https://news.example/url?url=https://elsewhere.example/",
        ),
    ],
)
def test_unwrap_redirect(link, expected):
    assert unwrap_redirect(link) == expected


def test_json_feed_is_the_base_source(feed_server, corpora):
    install(feed_server)
    body = (corpora / "rss-realworld/netnewswire/inessential.json").read_bytes()
    feed_server.routes["/feed.json"] = lambda h: Route(
        body, headers={"Content-Type": "application/feed+json"}
    )
    (spec,) = source_specs_from(f"  feeds:\n    - url: {feed_server.url('/feed.json')}\n")
    outcome = poll_once(spec)
    assert outcome.status == "fetched" and len(outcome.entries) == 20
    assert all(entries.entry_to_item(e).published_at for e in outcome.entries)
