"""Reddit: search, subreddit listings (new posts, new comments), as JSON or RSS.

Requests:

* search: ``/search.json?q=…&sort=new`` (``/r/<sub>/search.json?…&restrict_sr=1``
  within one subreddit);
* listings: ``/r/<sub>/new.json``, ``/r/<sub>/comments.json`` (newest comments),
  ``hot``/``top``/``rising``;
* ``format: rss`` reads the same listings as Atom (``/r/<sub>/new/.rss``),
  which Reddit serves without OAuth and rate-limits less; one page per poll.

Credentials: with an app's ``client_id``/``client_secret`` in the environment
(the variables named by ``client_id_env``/``client_secret_env``), an
application-only OAuth token (``grant_type=client_credentials``) is fetched
from ``token_url`` and requests go to ``oauth.reddit.com`` (about 100
requests a minute). Without them requests are anonymous on
``www.reddit.com`` (far lower limits, sometimes blocked outright).

Paging follows ``after`` (the listing's last fullname) until a page reaches
back past the last poll's newest post, ``after`` is null, or ``max_pages``.
``X-Ratelimit-Remaining`` / ``X-Ratelimit-Reset`` are honoured: when the
remaining budget falls to the reserve, paging stops and the source (and its
host) waits for the reset.

Items: ``t3`` (posts) and ``t1`` (comments), id ``reddit:<fullname>``, the
permalink on www.reddit.com, the ``*_html`` body as text (``raw_json=1`` so
entities are not double-escaped), ``created_utc`` (epoch seconds) as the date.
The JSON and the RSS form of one post get the same item id.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import logging
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from mentionwatch.sources.base import (
    Page,
    PageError,
    RateLimit,
    Request,
    Session,
    Source,
    SourceSpec,
    convert_each,
    load_json,
    time_range,
    with_query,
    with_text,
)
from mentionwatch.sources.entries import RawEntry, epoch_timestamp, parse_feed
from mentionwatch.sources.http import FetchResult

_log = logging.getLogger(__name__)

WEB = "https://www.reddit.com"  # canonical post URLs, whatever host served them
_FULLNAME = re.compile(r"^t[13]_[a-z0-9]+$")
_PERMALINK = re.compile(r"/comments/(?P<link>[a-z0-9]+)(?:/[^/]*(?:/(?P<comment>[a-z0-9]+))?)?/?$")


# --------------------------------------------------------------------------- requests


def _path(spec: SourceSpec) -> tuple[str, dict[str, Any]]:
    """The listing path (no suffix) and its query for a spec."""
    query, subreddit, listing = (
        spec.option("query"),
        spec.option("subreddit"),
        spec.option("listing", "new"),
    )
    params: dict[str, Any] = {}
    if query:
        params.update(q=query, sort="new")
        if subreddit:
            params["restrict_sr"] = "1"
        path = f"/r/{subreddit}/search" if subreddit else "/search"
    else:
        path = f"/r/{subreddit}/{listing}"
        if spec.option("time_filter"):
            params["t"] = spec.option("time_filter")
    params["limit"] = spec.option("limit", 100)
    return path, params


def source_url(spec_options: Mapping[str, Any]) -> str:
    """The source's identity: its anonymous URL (JSON or RSS), without paging."""
    spec = SourceSpec(url="", name="", kind="reddit", options=tuple(spec_options.items()))
    return _url(spec, oauth=False)


def _url(spec: SourceSpec, *, oauth: bool, after: str | None = None) -> str:
    path, params = _path(spec)
    if spec.option("format", "json") == "rss":
        # Reddit's own feed links have this shape: /r/sub/new/.rss, /search.rss
        suffix = "/.rss" if path.startswith("/r/") and not path.endswith("/search") else ".rss"
        url = f"{spec.option('base_url').rstrip('/')}{path}{suffix}"
        return with_query(url, **params)
    if oauth:
        url = spec.option("oauth_base_url").rstrip("/") + path
    else:
        url = spec.option("base_url").rstrip("/") + path + ".json"
    return with_query(url, **params, raw_json="1", after=after)


# --------------------------------------------------------------------------- parsing


def _text_of(data: Mapping[str, Any], html_key: str, plain_key: str) -> str:
    markup = data.get(html_key)
    if isinstance(markup, str) and markup:
        return markup
    plain = data.get(plain_key)
    # Markdown without HTML: escape it so html_to_text cannot take "<3" for a tag.
    return html.escape(plain) if isinstance(plain, str) else ""


def thing_to_entry(
    thing: Mapping[str, Any], spec: SourceSpec, raw_ref: str, fetched_at: str
) -> RawEntry | None:
    """One listing child (``t3`` post or ``t1`` comment) → entry; other kinds → None."""
    kind, data = thing.get("kind"), thing.get("data")
    if kind not in ("t1", "t3") or not isinstance(data, Mapping):
        return None
    fullname = str(data.get("name") or f"{kind}_{data.get('id', '')}")
    if not _FULLNAME.match(fullname):
        raise PageError(f"reddit {kind} without a valid fullname: {fullname!r}")
    permalink = data.get("permalink")
    if kind == "t3":
        title = str(data.get("title") or "")
        body = _text_of(data, "selftext_html", "selftext")
        target = data.get("url_overridden_by_dest") or data.get("url")
        if (
            not data.get("is_self")
            and isinstance(target, str)
            and target.startswith(("http://", "https://"))
        ):
            # The linked page (a re-upload, a tube site) matters.
            body += f"<p>{html.escape(target)}</p>"
    else:
        title = ""
        body = _text_of(data, "body_html", "body")
        if not permalink and data.get("link_id") and data.get("subreddit"):
            post = str(data["link_id"]).removeprefix("t3_")
            permalink = f"/r/{data['subreddit']}/comments/{post}/_/{data.get('id')}/"
    link = (
        WEB + permalink
        if isinstance(permalink, str) and permalink.startswith("/")
        else str(permalink or "")
    )
    return RawEntry(
        source=spec.name,
        feed_url=spec.url,
        guid=f"reddit:{fullname}",
        link=link,
        title=title,
        body=body,
        author=str(data.get("author") or ""),
        published_at=epoch_timestamp(data.get("created_utc")),
        language=None,
        raw_ref=raw_ref,
        fetched_at=fetched_at,
        id_scope="reddit",
    )


def fullname_from_feed_entry(entry: RawEntry) -> str | None:
    """``t3_…``/``t1_…`` from a Reddit Atom entry (its id, or else its permalink)."""
    if _FULLNAME.match(entry.guid):
        return entry.guid
    match = _PERMALINK.search(urllib.parse.urlsplit(entry.link).path)
    if match is None:
        return None
    return f"t1_{match['comment']}" if match["comment"] else f"t3_{match['link']}"


def feed_entry_to_reddit(entry: RawEntry, spec: SourceSpec) -> RawEntry:
    """A Reddit Atom entry with the same identity as its JSON form."""
    fullname = fullname_from_feed_entry(entry)
    author = entry.author.removeprefix("/u/")
    if fullname is None:
        return dataclasses.replace(entry, author=author, feed_url=spec.url)
    return dataclasses.replace(
        entry, guid=f"reddit:{fullname}", id_scope="reddit", author=author, feed_url=spec.url
    )


class RedditSource(Source):
    """Reddit searches and listings: the JSON API (OAuth when configured) or the RSS feed."""

    kind = "reddit"
    sort_key = "created_utc"

    def has_credentials(self, spec: SourceSpec, environ: Mapping[str, str]) -> bool:
        """Whether both the client id and the secret variables are set."""
        id_env, secret_env = spec.option("client_id_env"), spec.option("client_secret_env")
        return bool(id_env and secret_env and environ.get(id_env) and environ.get(secret_env))

    def first_request(
        self, spec: SourceSpec, cursor: str | None, *, authenticated: bool
    ) -> Request:
        """The listing URL: RSS (conditional), or JSON on the OAuth host when signed in."""
        if spec.option("format", "json") == "rss":
            return Request(_url(spec, oauth=False), conditional=True, authenticated=False)
        return Request(_url(spec, oauth=authenticated), headers=(("Accept", "application/json"),))

    def credentials(self, spec: SourceSpec, session: Session) -> dict[str, str]:
        """A cached bearer token from the token endpoint (none for RSS or without credentials)."""
        if spec.option("format", "json") == "rss" or not self.has_credentials(
            spec, session.environ
        ):
            return {}
        client_id = session.environ[spec.option("client_id_env")]
        secret = session.environ[spec.option("client_secret_env")]
        token_url = spec.option("token_url")
        key = ("reddit", token_url, client_id)
        cached = session.tokens.get(key)
        if cached is None or cached[1] <= session.clock():
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            result = session.fetch(
                token_url,
                data=b"grant_type=client_credentials",
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
            )
            document = load_json(result)
            token = document.get("access_token") if isinstance(document, Mapping) else None
            if not isinstance(token, str) or not token:
                raise PageError("reddit token endpoint answered without an access_token")
            lifetime = float(document.get("expires_in") or 3600)
            cached = (token, session.clock() + max(60.0, lifetime - 60.0))
            session.tokens[key] = cached
        return {"Authorization": f"bearer {cached[0]}"}

    def rate_limit(self, headers: Mapping[str, str]) -> RateLimit | None:
        """The ``x-ratelimit-remaining`` / ``x-ratelimit-reset`` headers, if sent."""
        remaining, reset = headers.get("x-ratelimit-remaining"), headers.get("x-ratelimit-reset")
        if remaining is None and reset is None:
            return None
        return RateLimit(_number(remaining), _number(reset))

    def parse_page(self, spec: SourceSpec, request: Request, result: FetchResult) -> Page:
        """The posts and comments of one listing (or RSS feed), and the next page."""
        if spec.option("format", "json") == "rss":
            entries = tuple(feed_entry_to_reddit(e, spec) for e in parse_feed(result, spec.name))
            oldest, newest = time_range(e.published_at for e in entries)
            return Page(entries, None, newest, oldest)
        document = load_json(result)
        listing = document
        if isinstance(document, list):  # /comments/<id>: [post listing, comment listing]
            listing = next(
                (d for d in document if isinstance(d, Mapping) and d.get("kind") == "Listing"), None
            )
        if (
            not isinstance(listing, Mapping)
            or listing.get("kind") != "Listing"
            or not isinstance(listing.get("data"), Mapping)
        ):
            raise PageError("reddit response is not a Listing")
        data = listing["data"]
        children = data.get("children")
        if not isinstance(children, list):
            raise PageError("reddit Listing without a children list")
        found = convert_each(
            (c for c in children if isinstance(c, Mapping)),
            lambda c: thing_to_entry(c, spec, result.sha256, result.fetched_at),
            spec,
            result,
        )
        entries, skipped = with_text(found)
        oldest, newest = time_range(e.published_at for e in found)
        after = data.get("after")
        following = None
        if isinstance(after, str) and after and found:
            following = dataclasses.replace(request, url=with_query(request.url, after=after))
        return Page(entries, following, newest, oldest, skipped)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
