"""Bluesky (AT Protocol AppView): post search and an account's feed.

Requests (XRPC over HTTPS, default AppView ``https://public.api.bsky.app``):

* ``search``: ``app.bsky.feed.searchPosts?q=…&sort=latest&limit=…``; after
  the first poll ``since=<high-water mark>`` too. The public AppView has
  required authentication for search at times: set ``access_token_env`` to
  a variable holding a session access JWT (``com.atproto.server.createSession``
  with an app password) and point ``base_url`` at the PDS/AppView that
  issued it.
* ``actor``: ``app.bsky.feed.getAuthorFeed?actor=<handle or DID>&filter=posts_with_replies``.

Both page with the ``cursor`` string of the response. Rate limits arrive as
``RateLimit-Remaining`` / ``RateLimit-Reset`` (epoch seconds); a 429 carries
them too.

Items: id ``bluesky`` + the post's ``at://`` URI; URL
``https://bsky.app/profile/<handle>/post/<rkey>``; text = the record's text,
then the full URI of every link facet (the visible text of a link is often
shortened), the external card's title and description and image alt texts.
Facets index **UTF-8 bytes**, not characters: ranges are checked against the
encoded text and a facet whose range is outside it or splits a character is
ignored (``facet_features``). ``createdAt`` is parsed strictly (the client
sets it; the AppView's ``indexedAt`` is the sort key for paging).
"""

from __future__ import annotations

import dataclasses
import html
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mentionwatch.sources.base import (
    BearerTokenAuth,
    Page,
    PageError,
    RateLimit,
    Request,
    Source,
    SourceSpec,
    convert_each,
    load_json,
    time_range,
    with_query,
    with_text,
)
from mentionwatch.sources.entries import RawEntry, deferred_timestamp
from mentionwatch.sources.http import FetchResult

WEB = "https://bsky.app"


@dataclasses.dataclass(frozen=True)
class Facet:
    """One facet feature with the characters it annotates."""

    start: int  # character offsets into the text
    end: int
    kind: str  # link | mention | tag | other
    value: str  # the URI, DID or tag
    text: str  # the annotated characters


def facet_features(text: str, facets: Any) -> list[Facet]:
    """Facets of ``text`` that are well-formed, with character offsets.

    ``byteStart``/``byteEnd`` are offsets into the UTF-8 encoding of the text.
    A facet is skipped when they are not integers, are out of range, empty,
    or cut a multi-byte character (the slice does not decode).
    """
    if not isinstance(facets, Sequence) or isinstance(facets, (str, bytes)):
        return []
    encoded = text.encode("utf-8")
    found: list[Facet] = []
    for facet in facets:
        if not isinstance(facet, Mapping) or not isinstance(facet.get("index"), Mapping):
            continue
        start, end = facet["index"].get("byteStart"), facet["index"].get("byteEnd")
        if (
            not (isinstance(start, int) and isinstance(end, int))
            or isinstance(start, bool)
            or isinstance(end, bool)
        ):
            continue
        if not 0 <= start < end <= len(encoded):
            continue
        try:
            prefix = encoded[:start].decode("utf-8")
            annotated = encoded[start:end].decode("utf-8")
        except UnicodeDecodeError:
            continue  # the range splits a character
        for feature in facet.get("features") or ():
            if not isinstance(feature, Mapping):
                continue
            kind = str(feature.get("$type", "")).rpartition("#")[2]
            value = {
                "link": feature.get("uri"),
                "mention": feature.get("did"),
                "tag": feature.get("tag"),
            }.get(kind)
            found.append(
                Facet(
                    len(prefix),
                    len(prefix) + len(annotated),
                    kind if value else "other",
                    str(value or ""),
                    annotated,
                )
            )
    return found


def _embed_texts(embed: Any) -> Iterator[str]:
    """Card titles/descriptions and image alt texts from a post's embed (record or view)."""
    if not isinstance(embed, Mapping):
        return
    external = embed.get("external")
    if isinstance(external, Mapping):
        for key in ("title", "description", "uri"):
            if isinstance(external.get(key), str) and external[key]:
                yield external[key]
    for image in embed.get("images") or ():
        if isinstance(image, Mapping) and isinstance(image.get("alt"), str) and image["alt"]:
            yield image["alt"]
    if isinstance(embed.get("media"), Mapping):  # recordWithMedia
        yield from _embed_texts(embed["media"])
    quoted = embed.get("record")
    if isinstance(quoted, Mapping) and isinstance(
        quoted.get("record"), Mapping
    ):  # recordWithMedia#view
        quoted = quoted["record"]
    if isinstance(quoted, Mapping) and isinstance(
        quoted.get("value"), Mapping
    ):  # a quoted post (view)
        text = quoted["value"].get("text")
        if isinstance(text, str) and text:
            yield text


def post_text(record: Mapping[str, Any], embed: Any = None) -> str:
    """The post's text for matching: text, full link targets, card and alt texts (HTML-escaped)."""
    text = str(record.get("text") or "")
    parts = [text]
    links = [
        f.value
        for f in facet_features(text, record.get("facets"))
        if f.kind == "link" and f.value not in text
    ]
    parts += links
    parts += list(_embed_texts(embed if embed is not None else record.get("embed")))
    return "".join(f"<p>{html.escape(part)}</p>" for part in parts if part)


def post_url(uri: str, handle: str | None) -> str:
    """``at://did/app.bsky.feed.post/rkey`` → the post's bsky.app page."""
    parsed = urllib.parse.urlsplit(uri)
    rkey = parsed.path.rstrip("/").rpartition("/")[2]
    return f"{WEB}/profile/{handle or parsed.netloc}/post/{rkey}"


def post_view_to_entry(
    post: Mapping[str, Any], spec: SourceSpec, raw_ref: str, fetched_at: str
) -> RawEntry:
    """An ``app.bsky.feed.defs#postView`` → entry."""
    uri = post.get("uri")
    record = post.get("record")
    if not isinstance(uri, str) or not uri.startswith("at://") or not isinstance(record, Mapping):
        raise PageError("bluesky postView without an at:// uri and a record")
    author = post.get("author") if isinstance(post.get("author"), Mapping) else {}
    handle = author.get("handle") if isinstance(author.get("handle"), str) else None
    langs = record.get("langs")
    return RawEntry(
        source=spec.name,
        feed_url=spec.url,
        guid=f"bluesky:{uri}",
        link=post_url(uri, handle),
        title="",
        body=post_text(record, post.get("embed")),
        author=handle or str(author.get("did") or ""),
        published_at=deferred_timestamp(record.get("createdAt")),
        language=langs[0]
        if isinstance(langs, list) and langs and isinstance(langs[0], str)
        else None,
        raw_ref=raw_ref,
        fetched_at=fetched_at,
        id_scope="bluesky",
    )


def source_url(options: Mapping[str, Any]) -> str:
    """The first-page URL: ``searchPosts`` for a search, else the actor's ``getAuthorFeed``."""
    base = options["base_url"].rstrip("/")
    limit = options.get("limit", 50)
    if options.get("search"):
        return with_query(
            f"{base}/xrpc/app.bsky.feed.searchPosts",
            q=options["search"],
            sort="latest",
            limit=limit,
        )
    return with_query(
        f"{base}/xrpc/app.bsky.feed.getAuthorFeed",
        actor=options["actor"],
        filter="posts_with_replies",
        limit=limit,
    )


class BlueskySource(BearerTokenAuth, Source):
    """Bluesky posts by search or by author, through the public AppView XRPC API."""

    kind = "bluesky"
    sort_key = "indexedAt"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The source URL; a search reads back only to the cursor (``since``)."""
        url = spec.url
        if cursor and spec.option("search"):
            url = with_query(url, since=cursor)
        return Request(url, headers=(("Accept", "application/json"),))

    def rate_limit(self, headers: Mapping[str, str]) -> RateLimit | None:
        """The ``ratelimit-remaining`` / ``ratelimit-reset`` headers, if sent."""
        remaining, reset = headers.get("ratelimit-remaining"), headers.get("ratelimit-reset")
        if remaining is None:
            return None
        try:
            left = float(remaining)
            wait = max(0.0, float(reset) - time.time()) if reset else None
        except ValueError:
            return None
        return RateLimit(left, wait)

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """The posts of a ``searchPosts`` or ``getAuthorFeed`` answer, and the next page."""
        document = load_json(result)
        if not isinstance(document, Mapping):
            raise PageError("bluesky response is not a JSON object")
        if "posts" in document:  # searchPosts
            posts = document["posts"]
        elif "feed" in document:  # getAuthorFeed: feedViewPost{post, reply?, reason?}
            feed = document["feed"]
            posts = (
                [f.get("post") for f in feed if isinstance(f, Mapping)]
                if isinstance(feed, list)
                else None
            )
        else:
            raise PageError("bluesky response has neither 'posts' nor 'feed'")
        if not isinstance(posts, list):
            raise PageError("bluesky 'posts'/'feed' is not a list")
        posts = [p for p in posts if isinstance(p, Mapping)]
        entries, skipped = with_text(
            convert_each(
                posts,
                lambda p: post_view_to_entry(p, spec, result.sha256, result.fetched_at),
                spec,
                result,
            )
        )
        oldest, newest = time_range(
            p.get("indexedAt")
            or (p["record"].get("createdAt") if isinstance(p.get("record"), Mapping) else None)
            for p in posts
        )
        cursor = document.get("cursor")
        following = None
        if isinstance(cursor, str) and cursor and entries:
            following = dataclasses.replace(request, url=with_query(request.url, cursor=cursor))
        return Page(entries, following, newest, oldest, skipped=skipped)
