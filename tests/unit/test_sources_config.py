"""The sources block: one list per kind, credentials by environment variable name, clear errors."""

import textwrap

import pytest

from mentionwatch.config import ConfigError, LoadedConfig, parse_config
from mentionwatch.sources.registry import source_specs


def problems(sources: str) -> list[str]:
    text = "subjects:\n  - name: Dana Reyes\nsources:\n" + textwrap.indent(
        textwrap.dedent(sources).strip() + "\n", "  "
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "c.yaml")
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(
    "sources, expected",
    [
        (
            "reddit:\n  - {query: x, client_id_env: 'abc def'}",
            "c.yaml:5: sources.reddit[0].client_id_env: this is not an environment variable name",
        ),
        (
            "reddit:\n  - {query: x, client_id_env: A}",
            "set both client_id_env and client_secret_env",
        ),
        ("reddit:\n  - {listing: new}", "needs 'query' (a search) or 'subreddit'"),
        ("reddit:\n  - {query: x, listing: comments}", "a search is always sorted by new"),
        ("reddit:\n  - {subreddit: 'not a sub!'}", "must be a subreddit name"),
        (
            "reddit:\n  - {query: x, base_url: 'https://user:pw@reddit.example'}",
            "must not contain credentials",
        ),
        (
            "mastodon:\n  - {instance: https://m.example, tag: a, search: b}",
            "set exactly one of search, tag, account, account_id (got search, tag)",
        ),
        ("mastodon:\n  - {instance: ftp://m.example, tag: a}", "expected an http(s) URL"),
        ("bluesky:\n  - {actor: 'not a handle'}", "must be a handle"),
        ("youtube:\n  - {channel_id: 9PBzalIcEQCsiIkq36PyUA}", "must be a channel id like 'UC'"),
        ("hackernews:\n  - {query: x, max_pages: 50}", "max_pages"),
        ("hackernews:\n  - {query: x, qurey: y}", "unknown key 'qurey'; expected one of:"),
        ("hackernews:\n  - {query: x}\n  - {query: x}", "hackernews[1] repeats hackernews[0]"),
        (
            (
                "feeds:\n  - {url: 'https://a.example/f', name: Same}\n"
                "  - {url: 'https://b.example/f', name: Same}"
            ),
            "both named 'Same'",
        ),
        ("jetstream: {url: 'https://jetstream.example/subscribe'}", "must be ws:// or wss://"),
    ],
)
def test_bad_source_blocks_say_what_is_wrong(sources, expected):
    found = problems(sources)
    assert any(expected in p for p in found), found


def test_specs_are_plain_and_name_credentials_by_variable_only(tmp_path):
    text = textwrap.dedent(
        """
        subjects: [{name: Dana Reyes}]
        sources:
          reddit:
            - {query: Dana Reyes, client_id_env: REDDIT_CLIENT_ID, """
        """client_secret_env: REDDIT_CLIENT_SECRET}
          mastodon:
            - {instance: "https://mastodon.social/", tag: "#DanaReyes"}
          feeds:
            - {url: "file:feeds/x.xml"}
        """
    )
    specs = source_specs(LoadedConfig(parse_config(text), tmp_path / "c.yaml"))
    by_kind = {s.kind: s for s in specs}
    reddit, mastodon, feed = by_kind["reddit"], by_kind["mastodon"], by_kind["feed"]
    assert (
        reddit.url
        == "https://www.reddit.com/search.json?q=Dana+Reyes&sort=new&limit=100&raw_json=1"
    )
    assert reddit.option("client_secret_env") == "REDDIT_CLIENT_SECRET" and reddit.max_pages == 3
    assert mastodon.url == "https://mastodon.social/api/v1/timelines/tag/DanaReyes?limit=40"
    assert feed.url == (tmp_path / "feeds/x.xml").as_uri() and feed.kind == "feed"
