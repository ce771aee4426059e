"""The ``Source`` interface every polled source implements.

A source turns one configured block (a Reddit search, a Mastodon tag, a
feed URL) into HTTP requests, and each response into entries plus, when the
platform pages, the request for the next page:

::

    SourceSpec ──first_request(cursor)──► Request ──fetch──► FetchResult
                                                               │
                          Page(entries, next, newest, oldest) ◄┘ parse_page
                                  │
                                  └── next ──► Request ... (up to max_pages)

The generic poll loop (``mentionwatch.sources.poll_once``) drives it: politeness,
credentials, rate limits, Retry-After, the page bound and the cursor are
handled there once, so a source module only knows its platform's URLs and
JSON. Adding a source is one module with a ``Source`` subclass, registered in
``mentionwatch.sources.registry``, plus its fixtures.

Cursors are high-water marks: the ISO-8601 UTC time of the newest entry seen
(by the platform's sort key). Paging stops at the first page reaching back
past it; items are deduplicated by id downstream, so an overlap costs a
request, never a duplicate.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

from mentionwatch.sources.entries import EntryError, RawEntry, parse_iso_timestamp
from mentionwatch.sources.http import FetchResult


class PageError(ValueError):
    """A response body is not what the platform documents (truncated JSON, wrong shape)."""


@dataclasses.dataclass(frozen=True)
class SourceSpec:
    """One configured source, as plain picklable values.

    Attributes:
      url: the source's identity: the feed URL, or the URL of the first
        request without credentials or cursor. It keys the source's row in
        ``feed_state`` (validators, cursor, health).
      name: the display name (the ``source`` of its items).
      kind: which ``Source`` reads it (``feed``, ``reddit``, ...).
      options: the kind's own settings (plain values; secrets never, only the
        names of the environment variables holding them).
      max_pages: at most this many requests per poll.
      expected_update_period_s: the source is "silent" when it has produced no
        item for longer than this (None: never silent).
      alert_after_failures: the operator is alerted after this many
        consecutive failed polls.
    """

    url: str
    name: str
    kind: str = "feed"
    options: tuple[tuple[str, Any], ...] = ()
    max_pages: int = 1
    expected_update_period_s: float | None = None
    alert_after_failures: int = 3

    def option(self, key: str, default: Any = None) -> Any:
        """The source option ``key`` (from its config block), or ``default``."""
        return dict(self.options).get(key, default)


# The batch scan and older code call it a feed spec; a feed is the base source.
FeedSpec = SourceSpec


@dataclasses.dataclass(frozen=True)
class Request:
    """One HTTP request of a poll.

    Attributes:
      url: the absolute URL.
      headers: extra non-secret headers (credentials are added by the poller).
      conditional: send the stored ETag / Last-Modified (feeds).
      authenticated: add the source's credentials (if it has any).
    """

    url: str
    headers: tuple[tuple[str, str], ...] = ()
    conditional: bool = False
    authenticated: bool = True


@dataclasses.dataclass(frozen=True)
class Page:
    """What one response held.

    Attributes:
      entries: the posts on the page, newest first as the platform sorts them.
      next: the request for the next (older) page, or None.
      newest / oldest: the page's range of the platform's sort key, as ISO
        UTC strings; malformed values are left out (their entries fail on
        their own later).
      skipped: posts left out because they carry no text at all (counted).
    """

    entries: tuple[RawEntry, ...] = ()
    next: Request | None = None
    newest: str | None = None
    oldest: str | None = None
    skipped: int = 0


@dataclasses.dataclass(frozen=True)
class RateLimit:
    """A platform's rate-limit state from response headers."""

    remaining: float | None
    reset_s: float | None

    def exhausted(self, reserve: float) -> bool:
        """Whether the platform reports ``reserve`` requests left or fewer."""
        return self.remaining is not None and self.remaining <= reserve


class Source:
    """What one platform module implements. Instances hold no state."""

    kind: ClassVar[str] = ""
    #: What the platform sorts by, for docs; the poller only uses Page.newest/oldest.
    sort_key: ClassVar[str] = "published time"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The first (newest) page; ``cursor`` is the last poll's high-water mark."""
        raise NotImplementedError

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """Entries and the next request from one response.

        Raises:
          PageError (or entries.FeedError): the body is not a page of this
            platform; the poll fails and becomes one dead letter.
        """
        raise NotImplementedError

    def has_credentials(self, spec: SourceSpec, environ: Mapping[str, str]) -> bool:
        """Whether the environment holds this source's credentials."""
        return False

    def credentials(self, spec: SourceSpec, session: Session) -> dict[str, str]:
        """Request headers carrying credentials (may request a token through ``session``)."""
        return {}

    def rate_limit(self, headers: Mapping[str, str]) -> RateLimit | None:
        """The rate-limit state the platform reports in ``headers`` (lower-cased)."""
        return None


class BearerTokenAuth:
    """For sources whose optional credential is one access token.

    The token is read from the environment variable named by the source's
    ``access_token_env`` option and sent as ``Authorization: Bearer``.
    """

    def has_credentials(self, spec: SourceSpec, environ: Mapping[str, str]) -> bool:
        """Whether the variable named by ``access_token_env`` holds a token."""
        name = spec.option("access_token_env")
        return bool(name and environ.get(name))

    def credentials(self, spec: SourceSpec, session: Session) -> dict[str, str]:
        """``Authorization: Bearer <token>``, or no headers without a token."""
        if not self.has_credentials(spec, session.environ):
            return {}
        return {"Authorization": f"Bearer {session.environ[spec.option('access_token_env')]}"}


class Session:
    """What a source may use beyond one request: the fetcher, the environment, a token cache.

    One session lives in one worker (a DoFn instance); tokens are cached in it
    until they expire and are never written anywhere else.
    """

    def __init__(self, fetch, environ: Mapping[str, str], clock):
        self.fetch = fetch
        self.environ = environ
        self.clock = clock
        self.tokens: dict[tuple[str, ...], tuple[str, float]] = {}


# ------------------------------------------------------------------ helpers for source modules

# What converting one post raises when the post is not what the platform documents.
POST_ERRORS = (PageError, EntryError, KeyError, TypeError, ValueError, AttributeError)


def convert_each(
    posts: Iterable[Any],
    convert: Callable[[Any], RawEntry | None],
    spec: SourceSpec,
    result: FetchResult,
) -> list[RawEntry]:
    """``convert(post)`` for every post of a page; one malformed post never fails the page.

    A post that raises becomes an entry carrying the error (``RawEntry.error``),
    which ``NormalizeItems`` dead-letters on its own, while the page's other
    posts, its paging and the source's cursor go on as usual. (A failed page
    would keep the cursor where it was, so the same post would fail every
    later poll and nothing older would ever be read.) ``None`` results are
    dropped, as the converters use them for posts that are not posts.
    """
    entries = []
    for index, post in enumerate(posts):
        try:
            entry = convert(post)
        except POST_ERRORS as exc:
            error = (
                f"{spec.kind} post {index} of the page could not be read: "
                f"{type(exc).__name__}: {exc}"
            )
            entry = RawEntry(
                source=spec.name,
                feed_url=spec.url,
                guid=f"unreadable:{result.sha256}:{index}",
                link="",
                title="",
                body="",
                author="",
                published_at=None,
                language=None,
                raw_ref=result.sha256,
                fetched_at=result.fetched_at,
                error=error[:500],
            )
        if entry is not None:
            entries.append(entry)
    return entries


def with_text(entries: Iterable[RawEntry]) -> tuple[tuple[RawEntry, ...], int]:
    """Entries that carry any text, and how many did not.

    A social post with neither title nor text (an image without a
    description, a deleted comment's shell) cannot mention anyone: it is
    counted (``posts_without_text``), not dead-lettered. Feeds keep the
    stricter rule (an entry without text is a dead letter).
    """
    from mentionwatch.textutil import html_to_text

    entries = list(entries)
    kept = tuple(e for e in entries if e.error or e.title.strip() or html_to_text(e.body))
    return kept, len(entries) - len(kept)


def time_range(values: Iterable[Any]) -> tuple[str | None, str | None]:
    """``(oldest, newest)`` of ISO timestamps, skipping missing or malformed ones."""
    parsed = []
    for value in values:
        if isinstance(value, str) and value:
            value = value.removeprefix("raw:")  # API dates kept for strict parsing per entry
            try:
                parsed.append(parse_iso_timestamp(value))
            except EntryError:
                continue
    return (min(parsed), max(parsed)) if parsed else (None, None)


def with_query(url: str, **params: Any) -> str:
    """``url`` with ``params`` set in its query (None values removed), order kept."""
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, v)
        for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        if k not in params
    ]
    query += [(k, str(v)) for k, v in params.items() if v is not None]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def same_origin(url: str, base: str) -> bool:
    """Whether ``url`` is on the same scheme, host and port as ``base`` (paging links)."""
    a, b = urllib.parse.urlsplit(url), urllib.parse.urlsplit(base)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def parse_link_header(value: str | None) -> dict[str, str]:
    """RFC 8288 ``Link`` header → ``{rel: url}`` (Mastodon paging)."""
    links: dict[str, str] = {}
    for part in (value or "").split(","):
        section = part.strip()
        if not section.startswith("<") or ">" not in section:
            continue
        url, _, params = section[1:].partition(">")
        for param in params.split(";"):
            key, _, rel = param.strip().partition("=")
            if key.strip().lower() == "rel":
                for name in rel.strip().strip('"').split():
                    links.setdefault(name, url.strip())
    return links


def load_json(result: FetchResult) -> Any:
    """The body as JSON, or ``PageError`` (truncated or not JSON at all)."""
    import json

    try:
        return json.loads(result.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PageError(
            f"response is not valid JSON ({exc}); {len(result.body)} bytes received"
        ) from None
