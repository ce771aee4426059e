"""The registry of source kinds: which ``Source`` reads which settings block, and the specs.

``SOURCE_KINDS`` has one ``SourceKind`` per kind of polled source: the
settings block it is configured by (``mentionwatch.config``; the config's
``sources:`` block has one list per settings block), the ``Source`` that
polls it, and how the source's identity URL is found. ``source_specs`` turns
a config's sources into plain ``SourceSpec``s with it, and ``get_source``
finds the ``Source`` of a spec's kind.

To add a source: write ``sources/<kind>.py`` with a ``Source`` subclass and
its settings block with its list in ``config/sources.py``, then add one
``SourceKind`` here (docs/sources.md has the recipe).
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mentionwatch.config import (
    BlueskySettings,
    FeedSettings,
    GoogleAlertsSettings,
    HackerNewsSettings,
    MastodonSettings,
    PagedSettings,
    RedditSettings,
    SourceSettings,
    YouTubeSettings,
)
from mentionwatch.sources import bluesky, hackernews, mastodon, reddit, youtube
from mentionwatch.sources.base import Source, SourceSpec
from mentionwatch.sources.bluesky import BlueskySource
from mentionwatch.sources.feed import FeedSource
from mentionwatch.sources.google_alerts import GoogleAlertsSource
from mentionwatch.sources.hackernews import HackerNewsSource
from mentionwatch.sources.http import resolve_url
from mentionwatch.sources.mastodon import MastodonSource
from mentionwatch.sources.reddit import RedditSource
from mentionwatch.sources.youtube import YouTubeSource

if TYPE_CHECKING:
    from mentionwatch.config import LoadedConfig

# Settings about naming, health and paging, not about what is requested.
_COMMON = frozenset(PagedSettings.model_fields)

UrlOf = Callable[[Any, pathlib.Path | None], str]


@dataclasses.dataclass(frozen=True)
class SourceKind:
    """One kind of polled source.

    Attributes:
      settings: the config block of one entry of its list under ``sources:``.
      source: the ``Source`` that polls it; its ``kind`` is the specs' kind.
      url: the source's identity URL, from its settings block and the
        config's folder (for relative ``file:`` URLs).
      keeps_options: whether the spec carries the block's settings as
        options; sources read from their URL alone (feeds) do not.
    """

    settings: type[SourceSettings]
    source: Source
    url: UrlOf
    keeps_options: bool = True

    @property
    def kind(self) -> str:
        """The spec's ``kind``: the name its ``Source`` is found by."""
        return self.source.kind


def requested(block: SourceSettings) -> dict[str, Any]:
    """The settings of ``block`` that say what is requested (not naming, health or unset ones)."""
    return {k: v for k, v in block.model_dump().items() if k not in _COMMON and v is not None}


def _from_options(source_url: Callable[[Mapping[str, Any]], str]) -> UrlOf:
    """A ``SourceKind.url`` for a platform whose module builds its URL from the options."""

    def url(block: SourceSettings, base_dir: pathlib.Path | None) -> str:
        return source_url(requested(block))

    return url


def _feed_url(block: FeedSettings, base_dir: pathlib.Path | None) -> str:
    return resolve_url(block.url, base_dir)


def _youtube_url(block: YouTubeSettings, base_dir: pathlib.Path | None) -> str:
    return youtube.feed_url(
        block.base_url, channel_id=block.channel_id, playlist_id=block.playlist_id
    )


SOURCE_KINDS: tuple[SourceKind, ...] = (
    SourceKind(FeedSettings, FeedSource(), _feed_url, keeps_options=False),
    SourceKind(RedditSettings, RedditSource(), _from_options(reddit.source_url)),
    SourceKind(MastodonSettings, MastodonSource(), _from_options(mastodon.source_url)),
    SourceKind(BlueskySettings, BlueskySource(), _from_options(bluesky.source_url)),
    SourceKind(HackerNewsSettings, HackerNewsSource(), _from_options(hackernews.source_url)),
    SourceKind(YouTubeSettings, YouTubeSource(), _youtube_url, keeps_options=False),
    SourceKind(GoogleAlertsSettings, GoogleAlertsSource(), _feed_url, keeps_options=False),
)

_SOURCES: dict[str, Source] = {entry.kind: entry.source for entry in SOURCE_KINDS}
_BY_SETTINGS: dict[type[SourceSettings], SourceKind] = {
    entry.settings: entry for entry in SOURCE_KINDS
}


def get_source(kind: str) -> Source:
    """The ``Source`` that reads specs of ``kind``.

    Raises:
      ValueError: no source reads that kind.
    """
    try:
        return _SOURCES[kind]
    except KeyError:
        raise ValueError(
            f"unknown source kind {kind!r}; known: {', '.join(sorted(_SOURCES))}"
        ) from None


def kinds() -> list[str]:
    """Every kind a spec may have, sorted."""
    return sorted(_SOURCES)


def spec_for(block: SourceSettings, base_dir: pathlib.Path | None) -> SourceSpec:
    """The plain spec of one configured source; ``base_dir`` resolves relative ``file:`` URLs.

    Raises:
      ValueError: no ``SourceKind`` is registered for the block's settings class.
    """
    entry = _BY_SETTINGS.get(type(block))
    if entry is None:
        raise ValueError(f"no source kind is registered for {type(block).__name__}")
    options = requested(block) if entry.keeps_options else {}
    return SourceSpec(
        url=entry.url(block, base_dir),
        name=block.label(),
        kind=entry.kind,
        options=tuple(sorted(options.items())),
        max_pages=getattr(block, "max_pages", 1),
        expected_update_period_s=block.expected_update_period_s,
        alert_after_failures=block.alert_after_failures,
    )


def source_specs(loaded: LoadedConfig) -> list[SourceSpec]:
    """Every polled source of the config, in file order per kind.

    Relative ``file:`` feed URLs are resolved against the config's folder.
    """
    return [
        spec_for(block, loaded.base_dir) for _list, _index, block in loaded.config.sources.polled()
    ]
