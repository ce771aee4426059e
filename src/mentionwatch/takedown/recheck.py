"""Re-checking whether a request's URLs still serve the content, and keeping the answer as evidence.

Each URL is fetched with the project's bounded fetcher (``sources.http.fetch``
under the config's ``fetch:`` policy). The URL came from the internet, not
from the operator, so it is first held to the same address rules as a
redirect (``http_guard.check_redirect``: http(s) only, no loopback, private,
link-local or metadata address unless ``fetch.allow_networks`` lists it).

Every answer is kept: a page is stored in ``fetches``/``evidence_blobs``
like any fetch (``store.evidence.record_fetch``), and so is a 404 or 410
(its status, headers and time, with an empty body), so the store can show
when the content was seen gone. Each re-check is an event of the request
naming that fetch. The outcome of one URL is

* ``removed``: it answered 404 Not Found or 410 Gone;
* ``gone``: it answered, but no longer shows what identified the content
  (her name, an alias, the known work's title) where an earlier re-check
  found it;
* ``serving``: it still shows it;
* ``reachable``: it answered, and nothing on it identifies the content (it
  may be built by a script): look at it yourself;
* ``unknown``: the fetch failed (a timeout, a refusal): try again later.

When every URL of an open request is ``removed`` or ``gone``, the request
becomes ``removed``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mentionwatch.config.root import Config
from mentionwatch.records import utc_now
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import FetchPolicy, FetchResult, fetch
from mentionwatch.sources.http_guard import check_redirect
from mentionwatch.store.db import HistoryStore
from mentionwatch.store.evidence import fetch_id, record_fetch
from mentionwatch.takedown.rules import OPEN

SOURCE = "takedown re-check"
GONE_STATUSES = (404, 410)
Fetcher = Callable[..., FetchResult]


@dataclasses.dataclass(frozen=True)
class Check:
    """The outcome of re-checking one URL (see the module docstring)."""

    url: str
    outcome: str
    http_status: int | None = None
    sha256: str | None = None
    detail: str = ""


def identifying_terms(config: Config, request: Mapping[str, Any]) -> tuple[str, ...]:
    """What shows a page still carries the content: her name, aliases, the work's title."""
    try:
        subject = config.subject(request["subject"])
    except KeyError:
        return (request["subject"],)
    terms = [subject.name, *subject.aliases]
    if request.get("work"):
        terms.append(request["work"])
    return tuple(t for t in terms if t.strip())


def _shows(body: bytes, terms: Sequence[str]) -> bool:
    text = body.decode("utf-8", errors="replace").casefold()
    return any(term.casefold() in text for term in terms)


def _seen_before(events: Sequence[Mapping[str, Any]], url: str) -> bool:
    return any(
        e["event"] == "check" and e["url"] == url and e["outcome"] == "serving" for e in events
    )


def guarded_fetch(url: str, *, allowed_networks: Sequence[str] = (), **kwargs: Any) -> FetchResult:
    """``sources.http.fetch``, after holding ``url`` to the rules a redirect target must meet.

    Raises:
      FetchError: the URL is not http(s), or its host is (or resolves to) an
        address outside ``allowed_networks`` that is not public; or the fetch failed.
    """
    check_redirect(url, allowed_networks)
    return fetch(url, allowed_networks=allowed_networks, **kwargs)


def check_url(
    store: HistoryStore,
    url: str,
    terms: Sequence[str],
    earlier: Sequence[Mapping[str, Any]],
    policy: FetchPolicy,
    fetcher: Fetcher = guarded_fetch,
) -> tuple[Check, str | None]:
    """Re-checks ``url`` and keeps the answer as evidence; returns the check and its fetch id."""
    try:
        result = fetcher(url, **policy.kwargs())
    except FetchError as exc:
        if exc.status not in GONE_STATUSES:
            # The message without the URL: a link is shown by its host only.
            reason = str(exc).removeprefix(f"{exc.url}: ")
            return Check(url, "unknown", exc.status, detail=reason), None
        gone = FetchResult(url, exc.status, exc.headers, b"", utc_now())
        sha = record_fetch(store, gone, SOURCE)
        return Check(url, "removed", exc.status, sha, f"HTTP {exc.status}"), fetch_id(url, sha)
    sha = record_fetch(store, result, SOURCE)
    if _shows(result.body, terms):
        outcome, detail = "serving", "the page still shows the content"
    elif _seen_before(earlier, url):
        outcome, detail = "gone", "the page no longer shows the content an earlier check found"
    else:
        outcome, detail = "reachable", "the page answers; nothing on it identifies the content"
    return Check(url, outcome, result.status, sha, detail), fetch_id(url, sha)


def recheck_request(
    store: HistoryStore,
    config: Config,
    request: Mapping[str, Any],
    *,
    now: dt.datetime,
    fetcher: Fetcher = guarded_fetch,
) -> list[Check]:
    """Re-checks every URL of ``request``, records each check, and marks it removed if all are gone.

    Args:
      store: the history store (evidence and the request's events go there).
      config: the config (its ``fetch:`` policy, the subject's names).
      request: the stored request.
      now: the time the checks are recorded at (aware).
      fetcher: ``guarded_fetch``, or a stand-in with ``fetch``'s signature in tests.
    """
    policy = FetchPolicy.from_settings(config.fetch)
    terms = identifying_terms(config, request)
    earlier = store.takedown_events(request["request_id"])
    checks = []
    for url in request["urls"]:
        check, fid = check_url(store, url, terms, earlier, policy, fetcher)
        store.record_takedown_check(
            request["request_id"],
            url,
            now,
            check.outcome,
            http_status=check.http_status,
            fetch_id=fid,
            sha256=check.sha256,
            detail=check.detail,
        )
        checks.append(check)
    if (
        request["status"] in OPEN
        and checks
        and all(c.outcome in ("removed", "gone") for c in checks)
    ):
        store.set_takedown_status(
            request["request_id"],
            "removed",
            now,
            detail="re-check: every URL answered 404/410 or no longer shows the content",
        )
    return checks
