"""The base source: an RSS, Atom or JSON Feed URL.

One request per poll, conditional (ETag / Last-Modified), no paging: a feed
is its own newest page. Parsing is ``feeds.parse_feed`` (feedparser for
RSS/Atom, a strict parser for JSON Feed, which feedparser 6 does not read).
YouTube and Google Alerts are feeds too, with their own small fix-ups
(``youtube.py``, ``google_alerts.py``).
"""

from __future__ import annotations

import dataclasses

from mentionwatch.sources import feeds
from mentionwatch.sources.base import Page, Request, Source, SourceSpec, time_range
from mentionwatch.sources.http import FetchResult


class FeedSource(Source):
    kind = "feed"
    sort_key = "entry date"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        return Request(spec.url, conditional=True, authenticated=False)

    def entries(self, spec: SourceSpec, result: FetchResult) -> list[feeds.RawEntry]:
        """The feed's entries, identified by the spec (its URL is the feed's identity)."""
        return [
            dataclasses.replace(entry, feed_url=spec.url)
            for entry in feeds.parse_feed(result, spec.name)
        ]

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        entries = tuple(self.adapt(spec, entry) for entry in self.entries(spec, result))
        oldest, newest = time_range(e.published_at for e in entries)
        return Page(entries, None, newest, oldest)

    def adapt(self, spec: SourceSpec, entry: feeds.RawEntry) -> feeds.RawEntry:
        """Per-platform fix-ups of one entry (none for a plain feed)."""
        return entry
