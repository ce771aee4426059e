"""The base source: an RSS, Atom or JSON Feed URL.

One request per poll, conditional (ETag / Last-Modified), no paging: a feed
is its own newest page. Parsing is ``parse_feed`` (feedparser for
RSS/Atom, a strict parser for JSON Feed, which feedparser 6 does not read).
YouTube and Google Alerts are feeds too, with their own small fix-ups
(``youtube.py``, ``google_alerts.py``).
"""

from __future__ import annotations

import dataclasses

from mentionwatch.sources.base import Page, Request, Source, SourceSpec, time_range
from mentionwatch.sources.entries import RawEntry, parse_feed
from mentionwatch.sources.http import FetchResult


class FeedSource(Source):
    """An RSS, Atom or JSON Feed URL: one conditional request, no paging."""

    kind = "feed"
    sort_key = "entry date"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The feed URL, conditional on the stored ETag / Last-Modified."""
        return Request(spec.url, conditional=True, authenticated=False)

    def entries(self, spec: SourceSpec, result: FetchResult) -> list[RawEntry]:
        """The feed's entries, identified by the spec (its URL is the feed's identity)."""
        return [
            dataclasses.replace(entry, feed_url=spec.url) for entry in parse_feed(result, spec.name)
        ]

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """The feed's entries (after ``adapt``) as one page with no next one."""
        entries = tuple(self.adapt(spec, entry) for entry in self.entries(spec, result))
        oldest, newest = time_range(e.published_at for e in entries)
        return Page(entries, None, newest, oldest)

    def adapt(self, spec: SourceSpec, entry: RawEntry) -> RawEntry:
        """Per-platform fix-ups of one entry (none for a plain feed)."""
        return entry
