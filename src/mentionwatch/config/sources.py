"""The ``sources:`` block: one settings block per kind of source, and the lists of them.

One list per kind of source (docs/sources.md). Credentials are never in the
file: a source names the ENVIRONMENT VARIABLE that holds each secret
(``client_secret_env: REDDIT_CLIENT_SECRET``). Base URLs are settings so
tests, proxies and other instances can be used. Each block's ``label()`` is
the source's display name (the ``source`` of its items).
"""

from __future__ import annotations

import re
import typing
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, field_validator, model_validator

from mentionwatch.config.base import Block, credential_env, exactly_one, http_base_url


class SourceSettings(Block):
    """What every source has: its name and when the operator is told it is unwell.

    Attributes:
      name: the display name; each kind makes one from its settings without it.
      expected_update_period_s: the source is "silent" once it has produced no
        new item for this long (like Huginn's expected_update_period); leave
        it out for sources that are quiet by nature (docs/sources.md, "Health").
      alert_after_failures: "failing" after this many polls in a row failed.
      about: subjects this source is about (her channel's comments, a forum
        about her show): there her surname or first name alone is a mention
        (docs/matching.md).
    """

    name: str | None = None
    expected_update_period_s: float | None = Field(default=None, ge=60)
    alert_after_failures: int = Field(default=3, ge=1, le=1000)
    about: tuple[str, ...] = ()

    def label(self) -> str:
        """The display name (the ``source`` of its items); each kind has its own default."""
        raise NotImplementedError


class PagedSettings(SourceSettings):
    """A source that pages: at most ``max_pages`` requests per poll."""

    max_pages: int = Field(default=3, ge=1, le=20)


class FeedSettings(SourceSettings):
    """An RSS, Atom or JSON feed, fetched over http(s) or read from a file URL.

    A ``file:`` URL may be relative (``file:feeds/news.xml``): it is resolved
    against the directory of the config file.
    """

    url: str

    @field_validator("url")
    @classmethod
    def _http_or_file(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in ("http", "https", "file"):
            raise ValueError(f"feed url must be http://, https:// or file:, got {value!r}")
        if scheme in ("http", "https") and not urlparse(value).netloc:
            raise ValueError(f"feed url {value!r} has no host")
        return value

    def label(self) -> str:
        """The display name: ``name``, else the feed URL."""
        return self.name or self.url


class RedditSettings(PagedSettings):
    """Reddit search (``query``, optionally within ``subreddit``) or a subreddit listing.

    Credentials (optional): an app's id and secret in the environment variables
    named by ``client_id_env`` / ``client_secret_env``; without them requests
    are anonymous. ``format: rss`` reads the listing's Atom feed instead.
    """

    query: str | None = Field(default=None, min_length=1)
    subreddit: str | None = None
    listing: Literal["new", "comments", "hot", "top", "rising"] = "new"
    time_filter: Literal["hour", "day", "week", "month", "year", "all"] | None = None
    format: Literal["json", "rss"] = "json"
    limit: int = Field(default=100, ge=1, le=100)
    client_id_env: str | None = None
    client_secret_env: str | None = None
    base_url: str = "https://www.reddit.com"
    oauth_base_url: str = "https://oauth.reddit.com"
    token_url: str = "https://www.reddit.com/api/v1/access_token"

    _envs = field_validator("client_id_env", "client_secret_env")(lambda cls, v: credential_env(v))
    _urls = field_validator("base_url", "oauth_base_url", "token_url")(
        lambda cls, v: http_base_url(v)
    )

    @field_validator("subreddit")
    @classmethod
    def _subreddit_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        name = value.removeprefix("/").removeprefix("r/")
        if not re.fullmatch(r"[A-Za-z0-9_]{2,21}", name):
            raise ValueError(
                f"subreddit {value!r} must be a subreddit name like 'AskReddit' or 'r/AskReddit'"
            )
        return name

    @model_validator(mode="after")
    def _one_mode(self) -> RedditSettings:
        if not self.query and not self.subreddit:
            raise ValueError("a reddit source needs 'query' (a search) or 'subreddit' (a listing)")
        if self.query and self.listing != "new":
            raise ValueError(
                "'listing' applies to subreddit listings; a search is always sorted by new"
            )
        if self.time_filter and not (self.listing == "top" or self.query):
            raise ValueError("'time_filter' applies to a search or the 'top' listing only")
        if bool(self.client_id_env) != bool(self.client_secret_env):
            raise ValueError(
                "set both client_id_env and client_secret_env (or neither, for anonymous access)"
            )
        return self

    def label(self) -> str:
        """The display name: ``name``, else the search or the listing it reads."""
        if self.name:
            return self.name
        if self.query:
            return f"Reddit search {self.query!r}" + (
                f" in r/{self.subreddit}" if self.subreddit else ""
            )
        return f"Reddit r/{self.subreddit} {self.listing}"


class MastodonSettings(PagedSettings):
    """A Mastodon search, hashtag timeline or account, on any instance.

    ``access_token_env`` names the variable holding an access token (needed for
    full-text search on most servers; timelines are public).
    """

    instance: str
    search: str | None = Field(default=None, min_length=1)
    tag: str | None = None
    account: str | None = None
    account_id: str | None = None
    access_token_env: str | None = None
    limit: int = Field(default=40, ge=1, le=40)

    _env = field_validator("access_token_env")(lambda cls, v: credential_env(v))
    _url = field_validator("instance")(lambda cls, v: http_base_url(v))

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str | None) -> str | None:
        if value is None:
            return None
        tag = value.removeprefix("#")
        if not re.fullmatch(r"\w+", tag):
            raise ValueError(f"tag {value!r} must be a hashtag like 'DanaReyes' or '#DanaReyes'")
        return tag

    @field_validator("account")
    @classmethod
    def _acct(cls, value: str | None) -> str | None:
        if value is None:
            return None
        acct = value.removeprefix("@")
        if not re.fullmatch(r"[\w.\-]+(@[\w.\-]+)?", acct):
            raise ValueError(f"account {value!r} must look like 'name' or 'name@instance.example'")
        return acct

    @field_validator("account_id")
    @classmethod
    def _numeric(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{1,30}", str(value)):
            raise ValueError(f"account_id must be the numeric account id, got {value!r}")
        return None if value is None else str(value)

    @model_validator(mode="after")
    def _one_mode(self) -> MastodonSettings:
        exactly_one(self, ("search", "tag", "account", "account_id"), "a mastodon source")
        return self

    def label(self) -> str:
        """The display name: ``name``, else what it reads on which instance."""
        parsed = urlparse(self.instance)
        host = parsed.netloc + parsed.path
        what = (
            f"search {self.search!r}"
            if self.search
            else f"#{self.tag}"
            if self.tag
            else f"@{self.account or self.account_id}"
        )
        return self.name or f"Mastodon {what} on {host}"


class BlueskySettings(PagedSettings):
    """A Bluesky post search or one account's posts (``actor``: handle or DID)."""

    search: str | None = Field(default=None, min_length=1)
    actor: str | None = None
    base_url: str = "https://public.api.bsky.app"
    access_token_env: str | None = None
    limit: int = Field(default=50, ge=1, le=100)

    _env = field_validator("access_token_env")(lambda cls, v: credential_env(v))
    _url = field_validator("base_url")(lambda cls, v: http_base_url(v))

    @field_validator("actor")
    @classmethod
    def _actor(cls, value: str | None) -> str | None:
        if value is None:
            return None
        actor = value.removeprefix("@")
        if not (
            re.fullmatch(r"did:[a-z]+:[A-Za-z0-9._:%-]+", actor)
            or re.fullmatch(r"([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+", actor)
        ):
            raise ValueError(
                f"actor {value!r} must be a handle like 'name.bsky.social' "
                "or a DID like 'did:plc:…'"
            )
        return actor

    @model_validator(mode="after")
    def _one_mode(self) -> BlueskySettings:
        exactly_one(self, ("search", "actor"), "a bluesky source")
        return self

    def label(self) -> str:
        """The display name: ``name``, else the search or the account."""
        return self.name or (
            f"Bluesky search {self.search!r}" if self.search else f"Bluesky @{self.actor}"
        )


class JetstreamSettings(SourceSettings):
    """Bluesky posts in real time over Jetstream (``mentionwatch sources jetstream``).

    ``dids`` limits the stream to those accounts (up to 10,000); without it
    every new post on the network arrives (hundreds a second) and is matched.
    """

    url: str = "wss://jetstream2.us-east.bsky.network/subscribe"
    dids: tuple[str, ...] = ()
    collections: tuple[str, ...] = ("app.bsky.feed.post",)
    reconnect_initial_s: float = Field(default=1.0, gt=0, le=60)
    reconnect_max_s: float = Field(default=60.0, gt=0, le=3600)
    batch_size: int = Field(default=100, ge=1, le=1000)
    batch_wait_s: float = Field(default=2.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _ws_url(cls, value: str) -> str:
        parsed = urlparse(value)
        if parsed.scheme not in ("ws", "wss") or not parsed.netloc:
            raise ValueError(f"jetstream url must be ws:// or wss://, got {value!r}")
        return value

    @field_validator("dids")
    @classmethod
    def _dids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for did in value:
            if not re.fullmatch(r"did:[a-z]+:[A-Za-z0-9._:%-]+", did):
                raise ValueError(f"{did!r} is not a DID (e.g. 'did:plc:ewvi7nxzyoun6zhxrhs64oiz')")
        if len(value) > 10_000:
            raise ValueError("Jetstream accepts at most 10,000 DIDs")
        return value

    def label(self) -> str:
        """The display name: ``name``, else "Bluesky Jetstream"."""
        return self.name or "Bluesky Jetstream"


class HackerNewsSettings(PagedSettings):
    """A Hacker News search (Algolia), newest first; ``tags`` filters story/comment/..."""

    query: str = Field(min_length=1)
    tags: str | None = "(story,comment)"
    base_url: str = "https://hn.algolia.com/api/v1"
    limit: int = Field(default=50, ge=1, le=1000)

    _url = field_validator("base_url")(lambda cls, v: http_base_url(v))

    def label(self) -> str:
        """The display name: ``name``, else the search."""
        return self.name or f"Hacker News {self.query!r}"


class YouTubeSettings(SourceSettings):
    """A YouTube channel's or playlist's feed (the 15 newest videos)."""

    channel_id: str | None = None
    playlist_id: str | None = None
    base_url: str = "https://www.youtube.com"

    _url = field_validator("base_url")(lambda cls, v: http_base_url(v))

    @field_validator("channel_id")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"UC[A-Za-z0-9_-]{22}", value):
            raise ValueError(f"channel_id {value!r} must be a channel id like 'UC' + 22 characters")
        return value

    @field_validator("playlist_id")
    @classmethod
    def _playlist(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{10,64}", value):
            raise ValueError(f"playlist_id {value!r} must be a playlist id like 'PL…'")
        return value

    @model_validator(mode="after")
    def _one_mode(self) -> YouTubeSettings:
        exactly_one(self, ("channel_id", "playlist_id"), "a youtube source")
        return self

    def label(self) -> str:
        """The display name: ``name``, else the channel or playlist id."""
        return self.name or f"YouTube {self.channel_id or self.playlist_id}"


class GoogleAlertsSettings(FeedSettings):
    """A Google Alert delivered as a feed (its "RSS feed" URL)."""

    def label(self) -> str:
        """The display name: ``name``, else the alert's feed URL."""
        return self.name or f"Google Alert {self.url}"


class SourcesSettings(Block):
    """Where items come from; every list is optional (docs/sources.md)."""

    # One list per kind of polled source, named as in the file; the registry of
    # kinds (mentionwatch.sources.registry) pairs each list's settings block with
    # the Source that reads it.
    feeds: tuple[FeedSettings, ...] = ()
    reddit: tuple[RedditSettings, ...] = ()
    mastodon: tuple[MastodonSettings, ...] = ()
    bluesky: tuple[BlueskySettings, ...] = ()
    hackernews: tuple[HackerNewsSettings, ...] = ()
    youtube: tuple[YouTubeSettings, ...] = ()
    google_alerts: tuple[GoogleAlertsSettings, ...] = ()
    jetstream: JetstreamSettings | None = None

    @classmethod
    def polled_lists(cls) -> dict[str, type[SourceSettings]]:
        """Each polled list's name and its entries' settings block, in the order specs come in."""
        return {
            name: typing.get_args(field.annotation)[0]
            for name, field in cls.model_fields.items()
            if typing.get_origin(field.annotation) is tuple
        }

    def polled(self) -> list[tuple[str, int, SourceSettings]]:
        """Every polled source block as ``(list name, index, block)``, in file order per list."""
        return [
            (kind, i, block)
            for kind in self.polled_lists()
            for i, block in enumerate(getattr(self, kind))
        ]

    @model_validator(mode="after")
    def _distinct(self) -> SourcesSettings:
        names: dict[str, str] = {}
        shapes: dict[str, str] = {}
        for kind, index, block in self.polled():
            where = f"{kind}[{index}]"
            # Naming and health settings aside, two blocks asking for the same are one source.
            requested = block.model_dump(exclude=set(SourceSettings.model_fields))
            shape = repr(sorted(requested.items()))
            if (kind, shape) in shapes:
                raise ValueError(
                    f"{where} repeats {shapes[(kind, shape)]}; a source may appear once"
                )
            shapes[(kind, shape)] = where
            label = block.label()
            if label in names:
                raise ValueError(
                    f"{where} and {names[label]} are both named {label!r}; "
                    "give each source its own 'name'"
                )
            names[label] = where
        return self
