"""Mastodon (and compatible servers): search, hashtag timelines, an account's posts.

Requests, on any instance (``instance: https://mastodon.social``):

* ``search``: ``/api/v2/search?q=…&type=statuses&resolve=false`` paged by
  ``offset``. Full-text status search needs an access token on most
  servers and only finds posts whose authors opted in to search.
* ``tag``: ``/api/v1/timelines/tag/<tag>`` (public, no token needed).
* ``account``: ``/api/v1/accounts/lookup?acct=…`` once per poll, then
  ``/api/v1/accounts/<id>/statuses`` (``account_id`` skips the lookup).

Timelines page through the ``Link: <…max_id=…>; rel="next"`` header (only
links on the instance itself are followed). ``X-RateLimit-Remaining`` and
``X-RateLimit-Reset`` (an ISO time; 300 requests per 5 minutes by default)
are honoured like Reddit's. An optional token (``access_token_env``) is sent
as ``Authorization: Bearer``.

Items: a boost is the boosted post (one post, one item, whoever boosted it).
The id is ``mastodon`` + the post's ActivityPub ``uri``, which is the same on
every instance that shows it; the URL is the post's web page; the content
warning (``spoiler_text``) is the title; the text is the HTML content plus
media descriptions; ``created_at`` (ISO with milliseconds) is parsed strictly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mentionwatch.sources.base import (
    BearerTokenAuth,
    Page,
    PageError,
    RateLimit,
    Request,
    Source,
    SourceSpec,
    convert_each,
    load_json,
    parse_link_header,
    same_origin,
    time_range,
    with_query,
    with_text,
)
from mentionwatch.sources.entries import RawEntry, deferred_timestamp
from mentionwatch.sources.http import FetchResult
from mentionwatch.timeutil import parse_time


def source_url(options: Mapping[str, Any]) -> str:
    """The first request's URL (the source's identity)."""
    base = options["instance"].rstrip("/")
    limit = options.get("limit", 40)
    if options.get("search"):
        return with_query(
            f"{base}/api/v2/search",
            q=options["search"],
            type="statuses",
            resolve="false",
            limit=limit,
        )
    if options.get("tag"):
        return with_query(
            f"{base}/api/v1/timelines/tag/{urllib.parse.quote(options['tag'], safe='')}",
            limit=limit,
        )
    if options.get("account_id"):
        return with_query(f"{base}/api/v1/accounts/{options['account_id']}/statuses", limit=limit)
    return with_query(f"{base}/api/v1/accounts/lookup", acct=options["account"])


def _statuses_url(options: Mapping[str, Any], account_id: str) -> str:
    base = options["instance"].rstrip("/")
    return with_query(
        f"{base}/api/v1/accounts/{urllib.parse.quote(account_id, safe='')}/statuses",
        limit=options.get("limit", 40),
    )


def status_to_entry(
    status: Mapping[str, Any], spec: SourceSpec, raw_ref: str, fetched_at: str
) -> RawEntry:
    """One status (a boost becomes the boosted status) → entry."""
    post = status.get("reblog") if isinstance(status.get("reblog"), Mapping) else status
    uri = post.get("uri") or post.get("url")
    if not isinstance(uri, str) or not uri:
        raise PageError(f"mastodon status {post.get('id')!r} has no uri")
    account = post.get("account") if isinstance(post.get("account"), Mapping) else {}
    acct = str(account.get("acct") or "")
    if acct and "@" not in acct:  # local accounts are shown without their server
        acct = f"{acct}@{urllib.parse.urlsplit(spec.option('instance')).hostname}"
    body = str(post.get("content") or "")
    for media in post.get("media_attachments") or ():
        if isinstance(media, Mapping) and media.get("description"):
            body += f"<p>{_escape(str(media['description']))}</p>"
    return RawEntry(
        source=spec.name,
        feed_url=spec.url,
        guid=f"mastodon:{uri}",
        link=str(post.get("url") or uri),
        title=str(post.get("spoiler_text") or ""),
        body=body,
        author=acct,
        published_at=deferred_timestamp(post.get("created_at")),
        language=post.get("language") if isinstance(post.get("language"), str) else None,
        raw_ref=raw_ref,
        fetched_at=fetched_at,
        id_scope="mastodon",
    )


def _escape(text: str) -> str:
    import html

    return html.escape(text)


class MastodonSource(BearerTokenAuth, Source):
    """Mastodon statuses of a hashtag or an account, through the instance's API."""

    kind = "mastodon"
    sort_key = "created_at (status ids are time-ordered)"

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The source URL (a tag timeline, or the account lookup first)."""
        return Request(spec.url, headers=(("Accept", "application/json"),))

    def rate_limit(self, headers: Mapping[str, str]) -> RateLimit | None:
        """The ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` headers, if sent."""
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is None:
            return None
        try:
            left = float(remaining)
        except ValueError:
            return None
        wait = None
        if reset:
            try:
                when = parse_time(
                    reset
                )  # Mastodon sends UTC; a reset without an offset is read as UTC
                wait = max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
            except ValueError:
                wait = None
        return RateLimit(left, wait)

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """The statuses of one answer (or the account lookup's next request)."""
        document = load_json(result)
        path = urllib.parse.urlsplit(request.url).path
        if path.endswith("/api/v1/accounts/lookup"):
            if not isinstance(document, Mapping) or not document.get("id"):
                raise PageError("mastodon account lookup answered without an id")
            return Page(
                (),
                dataclasses.replace(
                    request, url=_statuses_url(dict(spec.options), str(document["id"]))
                ),
            )
        if path.endswith("/api/v2/search"):
            statuses = document.get("statuses") if isinstance(document, Mapping) else None
        else:
            statuses = document
        if not isinstance(statuses, list):
            raise PageError("mastodon response is not a list of statuses")
        found = convert_each(
            (s for s in statuses if isinstance(s, Mapping)),
            lambda s: status_to_entry(s, spec, result.sha256, result.fetched_at),
            spec,
            result,
        )
        entries, skipped = with_text(found)
        oldest, newest = time_range(e.published_at for e in found)
        return Page(
            entries, self._next(spec, request, result, len(statuses)), newest, oldest, skipped
        )

    def _next(
        self, spec: SourceSpec, request: Request, result: FetchResult, count: int
    ) -> Request | None:
        if count == 0:
            return None
        if urllib.parse.urlsplit(request.url).path.endswith("/api/v2/search"):
            limit = int(spec.option("limit", 40))
            if count < limit:
                return None
            offset = int(
                dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.url).query)).get(
                    "offset", 0
                )
            )
            return dataclasses.replace(request, url=with_query(request.url, offset=offset + count))
        following = parse_link_header(result.headers.get("link")).get("next")
        if following and same_origin(following, spec.option("instance")):
            return dataclasses.replace(request, url=following)
        return None
