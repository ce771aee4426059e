"""One poll of one source: pages of requests → entries, the next cursor, or a failure.

``poll_source`` is a plain function (no Beam, no database) over a
``PollContext`` that supplies the fetcher, the host's pacing and the clock,
so every path is unit-tested with a fake fetcher. The ingest job calls it
per source inside its per-host DoFn and commits the outcome.

What one poll does, in order:

1. **Deferred?** A source whose ``next_fetch_at`` (from Retry-After or a
   rate-limit reset) is in the future, or whose host is rate-limited in this
   run, is not touched.
2. **Credentials** (``Source.credentials``; Reddit fetches an OAuth token).
3. **Pages**: the first request carries the cursor (and, for feeds, the
   stored ETag/Last-Modified); every request waits its turn on the host.
   After each page: stop when the rate-limit budget is down to the reserve
   (the source waits for the reset), when the page reaches back past the
   cursor, when there is no next page, or after ``max_pages``.
4. **Outcome**: ``fetched`` (entries, the new cursor = the newest sort key
   seen), ``not_modified`` (304), ``failed`` (with the entries of the pages
   that did arrive: they are kept, but the cursor does not move, so the next
   poll reads those pages again and goes further), or ``deferred``.

A poll that stops at ``max_pages`` before reaching the cursor is
``truncated``: the cursor still moves to the newest post (fresh posts matter
most), the gap is recorded in the source's health and logged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from mentionwatch.secretref import SecretUnavailable
from mentionwatch.sources.base import (
    Page,
    PageError,
    RateLimit,
    Request,
    Session,
    Source,
    SourceSpec,
)
from mentionwatch.sources.entries import EntryError, FeedError, RawEntry
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import FetchResult
from mentionwatch.sources.registry import get_source
from mentionwatch.timeutil import parse_time

_log = logging.getLogger(__name__)

FETCHED, NOT_MODIFIED, FAILED, DEFERRED = "fetched", "not_modified", "failed", "deferred"

# Errors a parser raises on a body that is not what the platform documents.
_PARSE_ERRORS = (PageError, FeedError, EntryError, KeyError, TypeError, ValueError, AttributeError)


@dataclasses.dataclass(frozen=True)
class PollOutcome:
    """What one poll of one source produced.

    Attributes:
      spec: the source.
      status: ``fetched``, ``not_modified``, ``failed`` or ``deferred``.
      entries: entries of every page that arrived (also on a failure mid-way).
      pages: requests answered.
      http_status: the last HTTP status seen.
      etag / last_modified: validators of the first response (conditional sources).
      cursor: the high-water mark to store after the entries are recorded
        (None: keep the stored one).
      error: what failed, for the dead letter and the health record.
      error_stage: ``PollFeeds`` (fetching) or ``ParseEntries`` (a body that
        is not a page of this source).
      defer_s: wait at least this long before polling again (Retry-After,
        a rate-limit reset).
      truncated: stopped at ``max_pages`` before reaching the cursor.
      skipped: posts without any text, left out by the source (counted).
    """

    spec: SourceSpec
    status: str
    entries: tuple[RawEntry, ...] = ()
    pages: int = 0
    http_status: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    error: str | None = None
    error_stage: str = "PollFeeds"
    defer_s: float | None = None
    truncated: bool = False
    skipped: int = 0

    def without_entries(self) -> PollOutcome:
        """A copy without its entries, for steps that need only its status and cursor."""
        return dataclasses.replace(self, entries=())


class HostGate:
    """A host's rate-limit state within one run: once exhausted, its other sources wait."""

    def __init__(self):
        self._lock = threading.Lock()
        self.blocked_until: dt.datetime | None = None

    def block(self, until: dt.datetime) -> None:
        """Blocks the host until ``until`` (never shortens an earlier block)."""
        with self._lock:
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until = until

    def blocked(self, now: dt.datetime) -> bool:
        """Whether the host is still blocked at ``now``."""
        with self._lock:
            return self.blocked_until is not None and self.blocked_until > now


@dataclasses.dataclass
class PollContext:
    """What ``poll_source`` needs from its surroundings.

    Attributes:
      fetch: ``mentionwatch.sources.http.fetch`` with timeout, size limit and
        user agent bound (tests pass a fake).
      pace: waits for this host's next request slot.
      session: credentials cache and environment.
      gate: the host's rate-limit gate for this run.
      now: the clock.
      rate_limit_reserve: stop paging when a platform reports this many
        requests left or fewer.
    """

    fetch: Callable[..., FetchResult]
    pace: Callable[[], None]
    session: Session
    gate: HostGate = dataclasses.field(default_factory=HostGate)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    rate_limit_reserve: float = 2.0


def _retry_after(exc: FetchError, limit: RateLimit | None) -> float | None:
    if exc.retry_after is not None:
        return exc.retry_after
    if exc.status == 429 and limit is not None:
        return limit.reset_s
    return None


def poll_source(spec: SourceSpec, state: Mapping[str, Any], ctx: PollContext) -> PollOutcome:
    """Polls one source once (see the module docstring for the steps)."""
    source = get_source(spec.kind)
    now = ctx.now()
    next_fetch = parse_time(state.get("next_fetch_at"))
    if (next_fetch is not None and next_fetch > now) or ctx.gate.blocked(now):
        return PollOutcome(spec, DEFERRED)
    cursor = state.get("cursor")
    secret_headers = _credentials(source, spec, ctx)
    if isinstance(secret_headers, PollOutcome):
        return secret_headers
    read = _Pages(cursor, reached_cursor=cursor is None)
    request = source.first_request(spec, cursor, authenticated=bool(secret_headers))
    while request is not None and read.pages < spec.max_pages:
        step = _read_page(source, spec, state, ctx, request, secret_headers, read, now)
        if isinstance(step, PollOutcome):
            return step
        request = step
    return _fetched(spec, read)


@dataclasses.dataclass
class _Pages:
    """What the pages of one poll gave so far."""

    cursor: str | None  # the stored cursor the poll reads back to
    entries: list[RawEntry] = dataclasses.field(default_factory=list)
    pages: int = 0
    newest: str | None = None
    skipped: int = 0
    validators: tuple[str | None, str | None] = (None, None)
    status: int | None = None
    defer_s: float | None = None
    reached_cursor: bool = False
    more: bool = False

    def add(self, page: Page) -> None:
        self.entries.extend(page.entries)
        self.skipped += page.skipped
        self.more = page.next is not None
        if page.newest and (self.newest is None or page.newest > self.newest):
            self.newest = page.newest
        if self.cursor is not None and page.oldest is not None and page.oldest < self.cursor:
            self.reached_cursor = True


def _credentials(source: Source, spec: SourceSpec, ctx: PollContext) -> dict | PollOutcome:
    """The secret request headers (none without credentials), or the failed outcome.

    A credential option may hold a ``secret://`` reference: the session's
    environment (``secretref.SecretEnviron``) reads it from Secret Manager on
    first use in this process. A secret that cannot be read fails this poll
    (a dead letter naming the reference, never a value); the worker goes on.
    """
    try:
        if not source.has_credentials(spec, ctx.session.environ):
            return {}
        return source.credentials(spec, ctx.session)
    except SecretUnavailable as exc:
        return PollOutcome(spec, FAILED, error=f"SecretUnavailable: credentials: {exc}")
    except FetchError as exc:
        return PollOutcome(
            spec,
            FAILED,
            http_status=exc.status,
            error=f"FetchError: credentials: {exc}",
            defer_s=exc.retry_after,
        )
    except _PARSE_ERRORS as exc:
        return PollOutcome(spec, FAILED, error=f"{type(exc).__name__}: credentials: {exc}")


def _read_page(
    source: Source,
    spec: SourceSpec,
    state: Mapping[str, Any],
    ctx: PollContext,
    request: Request,
    secret_headers: Mapping[str, str],
    read: _Pages,
    now: dt.datetime,
) -> Request | PollOutcome | None:
    """Fetches and parses one page into ``read``.

    Returns the next request, None when paging stops here (rate-limit
    reserve reached, cursor reached, no next page), or the outcome that ends
    the poll (a failure, a 304).
    """
    ctx.pace()
    headers = dict(request.headers)
    if request.authenticated:
        headers.update(secret_headers)
    try:
        result = ctx.fetch(
            request.url,
            headers=headers,
            etag=state.get("etag") if request.conditional else None,
            last_modified=state.get("last_modified") if request.conditional else None,
        )
    except FetchError as exc:
        return _fetch_failed(source, spec, ctx, exc, read, now)
    read.pages += 1
    read.status = result.status
    if result.not_modified:
        return PollOutcome(spec, NOT_MODIFIED, (), read.pages, 304)
    if read.pages == 1 and request.conditional:
        read.validators = (result.etag, result.last_modified)
    try:
        page = source.parse_page(spec, request, result)
    except _PARSE_ERRORS as exc:
        return PollOutcome(
            spec,
            FAILED,
            tuple(read.entries),
            read.pages,
            read.status,
            error=f"{type(exc).__name__}: {exc}",
            error_stage="ParseEntries",
        )
    read.add(page)
    limit = source.rate_limit(result.headers)
    if limit is not None and limit.exhausted(ctx.rate_limit_reserve):
        read.defer_s = limit.reset_s if limit.reset_s is not None else 60.0
        ctx.gate.block(now + dt.timedelta(seconds=read.defer_s))
        _log.info("source %s: rate limit nearly used up; waiting %.0f s", spec.name, read.defer_s)
        return None
    if read.reached_cursor and read.cursor is not None:
        return None
    return page.next


def _fetch_failed(
    source: Source,
    spec: SourceSpec,
    ctx: PollContext,
    exc: FetchError,
    read: _Pages,
    now: dt.datetime,
) -> PollOutcome:
    """The failed outcome of a request, keeping the pages read; blocks the host when spent."""
    limit = source.rate_limit(exc.headers)
    wait = _retry_after(exc, limit)
    if wait is not None and limit is not None and limit.exhausted(ctx.rate_limit_reserve):
        # The platform says our budget on this host is spent: its other sources wait too.
        # (A bare 429 defers only this source, as for feeds on a shared host.)
        ctx.gate.block(now + dt.timedelta(seconds=wait))
    return PollOutcome(
        spec,
        FAILED,
        tuple(read.entries),
        read.pages,
        exc.status,
        error=f"FetchError: {exc}",
        defer_s=wait,
    )


def _fetched(spec: SourceSpec, read: _Pages) -> PollOutcome:
    """The ``fetched`` outcome: the new cursor is the newest sort key seen."""
    cursor = read.cursor
    truncated = read.more and cursor is not None and not read.reached_cursor
    if truncated:
        _log.warning(
            "source %s: stopped after %d page(s) without reaching the last poll's newest post; "
            "older new posts may be missed (raise max_pages or poll more often)",
            spec.name,
            read.pages,
        )
    new_cursor = max(c for c in (cursor, read.newest) if c) if (cursor or read.newest) else None
    return PollOutcome(
        spec,
        FETCHED,
        tuple(read.entries),
        read.pages,
        read.status,
        read.validators[0],
        read.validators[1],
        new_cursor,
        defer_s=read.defer_s,
        truncated=truncated,
        skipped=read.skipped,
    )
