"""YouTube channel and playlist feeds (Atom, no API key).

``https://www.youtube.com/feeds/videos.xml?channel_id=UC…`` (or
``playlist_id=PL…``) lists the 15 newest videos. The description is in
``media:description`` inside ``media:group`` (feedparser reports it as the
entry summary); the video id is ``yt:videoId``. A video has one id whichever
feed it came from (``youtube`` + ``yt:video:ID``), so a video in a watched
channel and a watched playlist is one item.

Quirks: some copies start with a blank line before ``<?xml`` (feedparser sets
bozo, every entry still parses); the feed-level ``yt:channelId`` may lack the
``UC`` prefix, so nothing here relies on it.
"""

from __future__ import annotations

import dataclasses
import re
import urllib.parse

from mentionwatch.sources.base import SourceSpec
from mentionwatch.sources.entries import RawEntry
from mentionwatch.sources.feed import FeedSource

_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


def video_id(entry: RawEntry) -> str | None:
    """The video id from ``yt:video:ID`` or from the ``watch?v=`` link."""
    if entry.guid.startswith("yt:video:"):
        candidate = entry.guid.removeprefix("yt:video:")
        if _VIDEO_ID.match(candidate):
            return candidate
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(entry.link).query)
    candidate = (query.get("v") or [""])[0]
    return candidate if _VIDEO_ID.match(candidate) else None


class YouTubeSource(FeedSource):
    """A YouTube channel or playlist feed (Atom)."""

    kind = "youtube"
    sort_key = "published"

    def adapt(self, spec: SourceSpec, entry: RawEntry) -> RawEntry:
        """A video entry identified by its video id, with the canonical watch link."""
        vid = video_id(entry)
        if vid is None:
            return entry  # not a video entry: identified like any feed entry
        return dataclasses.replace(
            entry,
            guid=f"yt:video:{vid}",
            id_scope="youtube",
            link=f"https://www.youtube.com/watch?v={vid}",
        )


def feed_url(base_url: str, *, channel_id: str | None, playlist_id: str | None) -> str:
    """The Atom feed URL of a channel (or, without one, a playlist)."""
    param = ("channel_id", channel_id) if channel_id else ("playlist_id", playlist_id)
    return f"{base_url.rstrip('/')}/feeds/videos.xml?{urllib.parse.urlencode([param])}"
