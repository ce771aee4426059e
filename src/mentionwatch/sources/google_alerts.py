"""Google Alerts delivered as a feed ("Deliver to: RSS feed" gives an Atom URL).

Google Alerts is the cheapest wide net: Google's own crawl, matched on the
alert's query. Each entry's link is a redirect through Google
(``https://www.google.com/url?rct=j&sa=t&url=<target>&ct=ga&…``); the item's
URL is the ``url`` parameter, so evidence points at the page itself. Titles
and snippets are HTML with ``<b>`` around the matched words (the normaliser
strips tags and decodes entities); the author is always empty.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from mentionwatch.sources.base import SourceSpec
from mentionwatch.sources.entries import RawEntry
from mentionwatch.sources.feed import FeedSource


def unwrap_redirect(link: str) -> str:
    """The target of a ``google.<tld>/url?…&url=<target>`` link; other links unchanged.

    Only an absolute http(s) target is taken, so a crafted ``url=javascript:…``
    keeps the Google link instead.
    """
    parts = urllib.parse.urlsplit(link)
    host = parts.hostname or ""
    if parts.path != "/url" or not (
        host == "google.com" or host.startswith(("google.", "www.google."))
    ):
        return link
    query = urllib.parse.parse_qs(parts.query)
    for key in ("url", "q"):
        target = (query.get(key) or [""])[0]
        if urllib.parse.urlsplit(target).scheme in ("http", "https"):
            return target
    return link


class GoogleAlertsSource(FeedSource):
    """A Google Alerts feed, whose links are Google redirects."""

    kind = "google_alerts"

    def adapt(self, spec: SourceSpec, entry: RawEntry) -> RawEntry:
        """The entry with its link unwrapped to the page it points to."""
        return dataclasses.replace(entry, link=unwrap_redirect(entry.link))
