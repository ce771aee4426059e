"""Analyst columns derived from an item when its mention is stored.

Pure functions, shared by ``HistoryStore.write_mentions`` and the migration
that filled these columns in for rows stored before they existed.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse


def domain_of(url: str) -> str:
    """The URL's host, lower-case, without a leading ``www.``; '' if none."""
    try:
        host = urllib.parse.urlsplit(url or "").hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host.removeprefix("www.")


def occurred_at(
    published: dt.datetime | None, fetched: dt.datetime | None, fallback: dt.datetime
) -> dt.datetime:
    """When a mention happened, for trends: see ``schema.mentions.occurred_at``.

    The source's published time when it has one, unless it is later than the
    fetch (a wrong clock or time zone, or a date made up to look "new"):
    nothing is published after it was fetched, so the fetch time is used
    then, and when there is no published time. Without a fetch time,
    ``fallback`` (when the mention was classified) stands in for it.
    """
    seen = fetched or fallback
    if published is not None and published <= seen:
        return published
    return seen
