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

from mentionwatch.sources.base import PageError, RateLimit, Session, SourceSpec
from mentionwatch.sources.feeds import EntryError, FeedError, RawEntry
from mentionwatch.sources.http import FetchError, FetchResult
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
        return dataclasses.replace(self, entries=())


class HostGate:
    """A host's rate-limit state within one run: once exhausted, its other sources wait."""

    def __init__(self):
        self._lock = threading.Lock()
        self.blocked_until: dt.datetime | None = None

    def block(self, until: dt.datetime) -> None:
        with self._lock:
            if self.blocked_until is None or until > self.blocked_until:
                self.blocked_until = until

    def blocked(self, now: dt.datetime) -> bool:
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
    authenticated = source.has_credentials(spec, ctx.session.environ)
    try:
        secret_headers = source.credentials(spec, ctx.session) if authenticated else {}
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

    request = source.first_request(spec, cursor, authenticated=bool(secret_headers))
    entries: list[RawEntry] = []
    pages, newest, skipped = 0, None, 0
    validators: tuple[str | None, str | None] = (None, None)
    status: int | None = None
    defer_s: float | None = None
    reached_cursor = cursor is None
    more = False
    while request is not None and pages < spec.max_pages:
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
            limit = source.rate_limit(exc.headers)
            wait = _retry_after(exc, limit)
            if wait is not None and limit is not None and limit.exhausted(ctx.rate_limit_reserve):
                # The platform says our budget on this host is spent: its other sources wait too.
                # (A bare 429 defers only this source, as for feeds on a shared host.)
                ctx.gate.block(now + dt.timedelta(seconds=wait))
            return PollOutcome(
                spec,
                FAILED,
                tuple(entries),
                pages,
                exc.status,
                error=f"FetchError: {exc}",
                defer_s=wait,
            )
        pages += 1
        status = result.status
        if result.not_modified:
            return PollOutcome(spec, NOT_MODIFIED, (), pages, 304)
        if pages == 1 and request.conditional:
            validators = (result.etag, result.last_modified)
        try:
            page = source.parse_page(spec, request, result)
        except _PARSE_ERRORS as exc:
            return PollOutcome(
                spec,
                FAILED,
                tuple(entries),
                pages,
                status,
                error=f"{type(exc).__name__}: {exc}",
                error_stage="ParseEntries",
            )
        entries.extend(page.entries)
        skipped += page.skipped
        more = page.next is not None
        if page.newest and (newest is None or page.newest > newest):
            newest = page.newest
        if cursor is not None and page.oldest is not None and page.oldest < cursor:
            reached_cursor = True
        limit = source.rate_limit(result.headers)
        if limit is not None and limit.exhausted(ctx.rate_limit_reserve):
            defer_s = limit.reset_s if limit.reset_s is not None else 60.0
            ctx.gate.block(now + dt.timedelta(seconds=defer_s))
            _log.info("source %s: rate limit nearly used up; waiting %.0f s", spec.name, defer_s)
            break
        if reached_cursor and cursor is not None:
            break
        request = page.next
    truncated = more and cursor is not None and not reached_cursor
    if truncated:
        _log.warning(
            "source %s: stopped after %d page(s) without reaching the last poll's newest post; "
            "older new posts may be missed (raise max_pages or poll more often)",
            spec.name,
            pages,
        )
    new_cursor = max(c for c in (cursor, newest) if c) if (cursor or newest) else None
    return PollOutcome(
        spec,
        FETCHED,
        tuple(entries),
        pages,
        status,
        validators[0],
        validators[1],
        new_cursor,
        defer_s=defer_s,
        truncated=truncated,
        skipped=skipped,
    )
