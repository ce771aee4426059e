"""Hacker News through the Algolia search API (no key, no account).

Request: ``https://hn.algolia.com/api/v1/search_by_date?query=…&tags=(story,comment)&hitsPerPage=…``,
newest first; after the first poll ``numericFilters=created_at_i>=<high-water mark>``
so only new hits come back. Pages with ``page=1, 2, …`` while
``page + 1 < nbPages`` (Algolia serves at most 1,000 hits per query).
The limit is about 10,000 requests an hour per IP; a 429 carries no
Retry-After, so the source waits for the next poll.

Items: id ``hackernews`` + ``objectID``; URL the HN discussion
(``news.ycombinator.com/item?id=…``), where the mention is; stories take
their title and ``story_text`` (plus the submitted link), comments their
``comment_text`` (HTML with entities such as ``&#x27;``, decoded). The date
is ``created_at_i`` (epoch seconds), or ``created_at`` parsed strictly.
"""

from __future__ import annotations

import dataclasses
import html
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mentionwatch.sources.base import (
    Page,
    PageError,
    Request,
    Source,
    SourceSpec,
    convert_each,
    load_json,
    time_range,
    with_query,
    with_text,
)
from mentionwatch.sources.entries import (
    EntryError,
    RawEntry,
    deferred_timestamp,
    epoch_timestamp,
    parse_iso_timestamp,
)
from mentionwatch.sources.http import FetchResult
from mentionwatch.timeutil import parse_time

WEB = "https://news.ycombinator.com/item?id="


def source_url(options: Mapping[str, Any]) -> str:
    """The Algolia ``search_by_date`` URL for the source's query and tags."""
    base = options["base_url"].rstrip("/")
    return with_query(
        f"{base}/search_by_date",
        query=options["query"],
        tags=options.get("tags"),
        hitsPerPage=options.get("limit", 50),
    )


def hit_to_entry(
    hit: Mapping[str, Any], spec: SourceSpec, raw_ref: str, fetched_at: str
) -> RawEntry:
    """One Algolia hit (a story or a comment) as a ``RawEntry``.

    Raises:
      PageError: the hit has no ``objectID``.
    """
    object_id = hit.get("objectID")
    if not isinstance(object_id, (str, int)) or not str(object_id).strip():
        raise PageError("hacker news hit without an objectID")
    tags = hit.get("_tags") if isinstance(hit.get("_tags"), list) else []
    is_comment = "comment" in tags or (hit.get("comment_text") and not hit.get("title"))
    if is_comment:
        title, body = "", str(hit.get("comment_text") or "")
    else:
        title, body = str(hit.get("title") or ""), str(hit.get("story_text") or "")
        if isinstance(hit.get("url"), str) and hit["url"].startswith(("http://", "https://")):
            body += f"<p>{html.escape(hit['url'])}</p>"
    if hit.get("created_at_i") is not None:
        published = epoch_timestamp(hit.get("created_at_i"))
    else:
        published = deferred_timestamp(hit.get("created_at"))
    return RawEntry(
        source=spec.name,
        feed_url=spec.url,
        guid=f"hackernews:{object_id}",
        link=WEB + urllib.parse.quote(str(object_id)),
        title=title,
        body=body,
        author=str(hit.get("author") or ""),
        published_at=published,
        language=None,
        raw_ref=raw_ref,
        fetched_at=fetched_at,
        id_scope="hackernews",
    )


class HackerNewsSource(Source):
    """Hacker News stories and comments through the Algolia search API."""

    kind = "hackernews"
    sort_key = "created_at_i"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The search URL, filtered to posts since the cursor when there is one."""
        url = spec.url
        if cursor:
            try:
                since = int(parse_time(parse_iso_timestamp(cursor)).timestamp())
                url = with_query(url, numericFilters=f"created_at_i>={since}")
            except EntryError:
                pass  # a bad stored cursor: read from the newest, dedup does the rest
        return Request(url, headers=(("Accept", "application/json"),), authenticated=False)

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """The hits of one Algolia answer, and the request for the next page."""
        document = load_json(result)
        if not isinstance(document, Mapping) or not isinstance(document.get("hits"), list):
            raise PageError("algolia response has no 'hits' list")
        hits = [h for h in document["hits"] if isinstance(h, Mapping)]
        found = convert_each(
            hits, lambda h: hit_to_entry(h, spec, result.sha256, result.fetched_at), spec, result
        )
        entries, skipped = with_text(found)  # deleted comments carry no text
        oldest, newest = time_range(e.published_at for e in found)
        page, pages = document.get("page"), document.get("nbPages")
        following = None
        if isinstance(page, int) and isinstance(pages, int) and page + 1 < pages and found:
            following = dataclasses.replace(request, url=with_query(request.url, page=page + 1))
        return Page(entries, following, newest, oldest, skipped)
