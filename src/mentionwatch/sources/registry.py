"""Which ``Source`` reads which kind, and the config's sources as plain ``SourceSpec``s.

To add a source: write ``sources/<kind>.py`` with a ``Source`` subclass (and
a ``source_url(options)`` giving its identity), add its config block to
``config.Sources``, one line to ``_SOURCES`` and one branch to
``_spec_for``; then its fixtures and tests (docs/sources.md has the recipe).
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING, Any

from mentionwatch.sources.base import Source, SourceSpec
from mentionwatch.sources.bluesky import BlueskySource
from mentionwatch.sources.google_alerts import GoogleAlertsSource
from mentionwatch.sources.hackernews import HackerNewsSource
from mentionwatch.sources.mastodon import MastodonSource
from mentionwatch.sources.reddit import RedditSource
from mentionwatch.sources.rss import FeedSource
from mentionwatch.sources.youtube import YouTubeSource

if TYPE_CHECKING:
    from mentionwatch.config import LoadedConfig

_SOURCES: dict[str, Source] = {
    source.kind: source
    for source in (
        FeedSource(),
        RedditSource(),
        MastodonSource(),
        BlueskySource(),
        HackerNewsSource(),
        YouTubeSource(),
        GoogleAlertsSource(),
    )
}

# Config list name → source kind.
_KIND_OF_LIST = {
    "feeds": "feed",
    "reddit": "reddit",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
    "hackernews": "hackernews",
    "youtube": "youtube",
    "google_alerts": "google_alerts",
}

# Settings that are about health or naming, not about what is requested.
_COMMON = {"name", "expected_update_period_s", "alert_after_failures", "max_pages", "about"}


def get_source(kind: str) -> Source:
    try:
        return _SOURCES[kind]
    except KeyError:
        raise ValueError(
            f"unknown source kind {kind!r}; known: {', '.join(sorted(_SOURCES))}"
        ) from None


def kinds() -> list[str]:
    return sorted(_SOURCES)


def _spec_for(kind: str, block: Any, base_dir: pathlib.Path | None) -> SourceSpec:
    from mentionwatch.sources import bluesky, hackernews, mastodon, reddit, youtube
    from mentionwatch.sources.http import resolve_url

    options = {k: v for k, v in block.model_dump().items() if k not in _COMMON and v is not None}
    if kind in ("feed", "google_alerts"):
        url = resolve_url(block.url, base_dir)
        options = {}
    elif kind == "reddit":
        url = reddit.source_url(options)
    elif kind == "mastodon":
        url = mastodon.source_url(options)
    elif kind == "bluesky":
        url = bluesky.source_url(options)
    elif kind == "hackernews":
        url = hackernews.source_url(options)
    elif kind == "youtube":
        url = youtube.feed_url(
            block.base_url, channel_id=block.channel_id, playlist_id=block.playlist_id
        )
        options = {}
    else:  # pragma: no cover - _KIND_OF_LIST and this function are kept in step
        raise ValueError(f"no spec builder for {kind!r}")
    return SourceSpec(
        url=url,
        name=block.label(),
        kind=kind,
        options=tuple(sorted(options.items())),
        max_pages=getattr(block, "max_pages", 1),
        expected_update_period_s=block.expected_update_period_s,
        alert_after_failures=block.alert_after_failures,
    )


def source_specs(loaded: LoadedConfig) -> list[SourceSpec]:
    """Every polled source of the config, in file order per kind.

    Relative ``file:`` feed URLs are resolved against the config's folder.
    """
    specs = []
    for list_name, _index, block in loaded.config.sources.polled():
        specs.append(_spec_for(_KIND_OF_LIST[list_name], block, loaded.base_dir))
    return specs
