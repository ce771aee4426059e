"""Feed parsing and item normalisation, on real recorded feeds and hand-made cases."""

import json

import pytest

from mentionwatch.ids import item_id
from mentionwatch.sources.entries import (
    EntryError,
    FeedError,
    entry_to_item,
    item_from_input,
    parse_feed,
)
from mentionwatch.sources.http import FetchResult
from mentionwatch.textutil import excerpt, html_to_text


def result(
    body: bytes, url="https://feeds.example/x", content_type="application/xml"
) -> FetchResult:
    return FetchResult(url, 200, {"content-type": content_type}, body, "2026-11-22T10:00:00Z")


def test_html_to_text_keeps_words_and_structure():
    html = (
        "<p>Hello&nbsp;<b>Dana</b> &amp; friends</p><script>alert(1)</script>"
        "<ul><li>one</li><li>two</li></ul>"
    )
    assert html_to_text(html) == "Hello Dana & friends\n\none\n\ntwo"
    assert html_to_text("plain   text\n\n\n\nmore") == "plain text\n\nmore"
    assert html_to_text("") == ""


def test_excerpt_cuts_at_a_word():
    assert excerpt("one two three four", 9) == "one two…"
    assert excerpt("short", 10) == "short"


def test_real_youtube_feed_with_blank_line_before_xml_still_yields_every_entry(corpora):
    # feedparser flags this file bozo (blank line before <?xml) but every entry parses.
    body = (corpora / "youtube" / "feedjira" / "youtube_atom.xml").read_bytes()
    entries = parse_feed(result(body), "yt")
    assert len(entries) == 15
    items = [entry_to_item(e) for e in entries]
    assert all(i.title and i.url.startswith("http") for i in items)
    assert len({i.id for i in items}) == 15


def test_real_google_alerts_feed_titles_lose_their_bold_tags(corpora):
    body = (corpora / "google-alerts" / "feedjira" / "google_alerts_atom.xml").read_bytes()
    items = [entry_to_item(e) for e in parse_feed(result(body), "alerts")]
    assert len(items) == 20
    assert not any("<b>" in i.title for i in items)
    assert all(i.published_at and i.published_at.endswith("Z") for i in items)


@pytest.mark.parametrize(
    "name",
    ["AmazonWebServicesBlog.xml", "TechCrunch.xml", "SamRuby.xml", "PaulDixExplainsNothing.xml"],
)
def test_real_world_feeds_parse_into_items(corpora, name):
    body = (corpora / "rss-realworld" / "feedjira" / name).read_bytes()
    items = [entry_to_item(e) for e in parse_feed(result(body), name)]
    assert items
    assert all(i.text or i.title for i in items)
    assert all("<p>" not in i.text for i in items)


def test_item_ids_are_stable_and_depend_on_source_and_guid():
    body = b"""<rss version="2.0"><channel><title>t</title>
      <item><title>A</title><guid>g-1</guid><link>https://x.example/a</link><description>x</description></item>
    </channel></rss>"""
    first = entry_to_item(parse_feed(result(body), "s")[0])
    again = entry_to_item(parse_feed(result(body), "s")[0])
    other = entry_to_item(parse_feed(result(body, url="https://other.example/feed"), "s")[0])
    assert first.id == again.id == item_id("https://feeds.example/x", "g-1")
    assert other.id != first.id


def test_html_page_is_not_a_feed():
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(
            result(
                b"<!DOCTYPE html><html><body><h1>503</h1></body></html>", content_type="text/html"
            ),
            "s",
        )


def test_json_feed_is_parsed_without_feedparser():
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "items": [
                {
                    "id": "1",
                    "url": "https://x.example/1",
                    "content_html": "<p>Hi <b>there</b></p>",
                    "date_published": "2026-11-20T10:00:00+02:00",
                    "authors": [{"name": "ana"}],
                },
                {"id": "2", "content_text": "second", "date_published": "2026-11-32T10:00:00Z"},
            ],
        }
    ).encode()
    first, second = parse_feed(result(body, content_type="application/feed+json"), "j")
    item = entry_to_item(first)
    assert (item.text, item.author, item.published_at) == (
        "Hi there",
        "ana",
        "2026-11-20T08:00:00Z",
    )
    # A malformed date is an error for that entry alone, never a guessed date.
    with pytest.raises(EntryError, match="malformed timestamp"):
        entry_to_item(second)


def test_json_without_jsonfeed_version_is_not_a_feed():
    with pytest.raises(FeedError, match="jsonfeed.org"):
        parse_feed(result(b'{"items": []}', content_type="application/json"), "j")


def test_entry_without_title_or_text_is_an_error():
    body = (
        b"""<rss version="2.0"><channel><title>t</title>"""
        b"""<item><guid>x</guid></item></channel></rss>"""
    )
    (entry,) = parse_feed(result(body), "s")
    with pytest.raises(EntryError, match="no title and no text"):
        entry_to_item(entry)


def test_input_records_follow_the_contract():
    item = item_from_input(
        {
            "id": "ev-1",
            "text": "hello",
            "url": "https://x.example",
            "published": "2026-01-02T03:04:05Z",
            "source": "reddit.example",
            "title": "T",
            "extra": [1, 2],
        },
        "in.jsonl:1",
    )
    assert (item.id, item.text, item.title, item.source, item.published_at) == (
        "ev-1",
        "hello",
        "T",
        "reddit.example",
        "2026-01-02T03:04:05Z",
    )
    # A malformed date is dropped, never guessed; the item is still classified.
    assert (
        item_from_input({"id": 7, "text": "x", "published": "yesterday"}, "l").published_at is None
    )
    assert item_from_input({"id": 7, "text": "x"}, "l").id == "7"


@pytest.mark.parametrize(
    "record, message",
    [
        ({"text": "x"}, "missing 'id'"),
        ({"id": "", "text": "x"}, "missing 'id'"),
        ({"id": "a"}, "missing 'text'"),
        ({"id": "a", "text": "  "}, "no text"),
        (["not", "an", "object"], "expected a JSON object"),
    ],
)
def test_bad_input_records_say_which_line(record, message):
    with pytest.raises(EntryError, match=message) as caught:
        item_from_input(record, "in.jsonl:4")
    assert "in.jsonl:4" in str(caught.value)
