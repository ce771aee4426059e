"""Replaying the recorded social-platform responses of ../shared/corpora on a local FeedServer.

Three pieces, used by tests/unit/test_sources_*.py and
tests/integration/test_ingest_sources.py:

* **Cassette loaders** (``load_betamax`` for praw's JSON cassettes,
  ``load_vcr`` for vcrpy YAML): ``Interaction(method, url, status, headers,
  body)`` exactly as recorded.
* **Replay routes**: ``install(server)`` makes the server's routes match on
  the path and the *set* of query parameters (order and a trailing slash do
  not matter, as for the real APIs), and falls back to a route registered for
  the bare path when it is callable (a pager that reads the query).
  ``serve(server, interaction, at=...)`` answers a request with a recorded
  response; ``at`` mounts it under the request our source makes when the
  recording was made with other parameters (praw asked ``sort=relevance``,
  we ask ``sort=new``: same endpoint, same body shape). Absolute URLs of the
  recording host in ``Link`` headers are rewritten to the local server.
* **Pagers**: small simulations of a platform's paging (Reddit ``after``,
  Mastodon ``max_id`` + ``Link``, Bluesky ``cursor``, Algolia ``page``) over
  *real* recorded posts, for paging beyond what was recorded. The posts are
  the recorded ones; only the paging envelope is built here (and says so).

Nothing from the corpora is copied into the repository; everything is read
from ``../shared/corpora`` when a test runs.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import yaml
from helpers import FeedServer, Route

_HOP_BY_HOP = {
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "connection",
    "keep-alive",
    "set-cookie",
}


@dataclasses.dataclass(frozen=True)
class Interaction:
    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        parts = urllib.parse.urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def json(self) -> Any:
        return json.loads(self.body)


def _first(value: Any) -> str:
    return str(value[0]) if isinstance(value, list) else str(value)


def _body(body: Any) -> bytes:
    if isinstance(body, Mapping):
        body = body.get("string", "")
    if body is None:
        return b""
    return body if isinstance(body, bytes) else str(body).encode("utf-8")


def load_betamax(path: pathlib.Path) -> list[Interaction]:
    """praw's Betamax cassettes: ``{"interactions": [{"request", "response"}]}``."""
    data = json.loads(path.read_text())
    return [
        Interaction(
            i["request"]["method"],
            i["request"]["uri"],
            int(i["response"]["status"]["code"]),
            {k: _first(v) for k, v in i["response"]["headers"].items()},
            _body(i["response"]["body"]),
        )
        for i in data["interactions"]
    ]


def load_vcr(path: pathlib.Path) -> list[Interaction]:
    """vcrpy YAML cassettes (Mastodon.py, liscopridge)."""
    data = yaml.safe_load(path.read_text())
    return [
        Interaction(
            i["request"]["method"],
            i["request"]["uri"],
            int(i["response"]["status"]["code"]),
            {k: _first(v) for k, v in (i["response"].get("headers") or {}).items()},
            _body(i["response"]["body"]),
        )
        for i in data["interactions"]
    ]


def find(
    interactions: Iterable[Interaction], method: str = "GET", contains: str = ""
) -> Interaction:
    """The first interaction with ``method`` whose URL contains ``contains``."""
    for interaction in interactions:
        if interaction.method == method and contains in interaction.url:
            return interaction
    raise LookupError(f"no {method} interaction with {contains!r}")


# --------------------------------------------------------------------------- routes


def canonical(path_and_query: str) -> str:
    parts = urllib.parse.urlsplit(path_and_query)
    path = parts.path.rstrip("/") or "/"
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    return path + (f"?{urllib.parse.urlencode(query)}" if query else "")


class ReplayRoutes(dict):
    """Routes keyed by ``canonical`` path+query; a callable on the bare path answers any query."""

    def __setitem__(self, key: str, value) -> None:
        super().__setitem__(canonical(key), value)

    def get(self, key: str, default=None):
        exact = super().get(canonical(key))
        if exact is not None:
            return exact
        bare = super().get(canonical(urllib.parse.urlsplit(key).path))
        return bare if callable(bare) else default


def install(server: FeedServer) -> FeedServer:
    """Switches ``server`` to replay routes (existing routes are kept)."""
    routes = ReplayRoutes()
    for key, value in server.routes.items():
        routes[key] = value
    server.routes = routes
    return server


def rebase(value: str, recorded_origin: str, server: FeedServer) -> str:
    return value.replace(recorded_origin, server.base_url)


def response(
    interaction: Interaction, server: FeedServer | None = None, *, delay: float = 0.0
) -> Route:
    """The recorded response as a Route (hop-by-hop headers dropped, Link URLs rebased)."""
    headers = {k: v for k, v in interaction.headers.items() if k.lower() not in _HOP_BY_HOP}
    if server is not None:
        origin = "{0.scheme}://{0.netloc}".format(urllib.parse.urlsplit(interaction.url))
        headers = {
            k: rebase(v, origin, server) if k.lower() == "link" else v for k, v in headers.items()
        }
    return Route(interaction.body, status=interaction.status, headers=headers, delay=delay)


def serve(server: FeedServer, interaction: Interaction, *, at: str | None = None) -> str:
    """Serves a recorded response at its own path (or ``at``); returns the path."""
    path = at or interaction.path
    server.routes[path] = response(interaction, server)
    return path


# --------------------------------------------------------- pagers (recorded posts, built envelopes)


def _query(handler) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(handler.path).query))


class Pager:
    """Counts the requests it answered (``calls``) and their queries."""

    def __init__(self):
        self.calls: list[dict[str, str]] = []

    def __call__(self, handler) -> Route:
        query = _query(handler)
        self.calls.append(query)
        return self.page(query, handler)

    def page(self, query: dict[str, str], handler) -> Route:  # pragma: no cover - abstract
        raise NotImplementedError


class RedditListingPager(Pager):
    """Reddit ``after`` paging over the children of a recorded Listing.

    ``overlap`` re-sends that many children of the previous page at the top of
    the next one, as Reddit does when new posts arrive while a client pages.
    """

    def __init__(self, listing: Mapping[str, Any], overlap: int = 0):
        super().__init__()
        self.children = list(listing["data"]["children"])
        self.overlap = overlap

    def page(self, query, handler) -> Route:
        limit = int(query.get("limit", 25))
        start = 0
        if "after" in query:
            names = [c["data"]["name"] for c in self.children]
            start = names.index(query["after"]) + 1 - self.overlap
        chunk = self.children[start : start + limit]
        more = start + limit < len(self.children)
        body = {
            "kind": "Listing",
            "data": {
                "after": chunk[-1]["data"]["name"] if more and chunk else None,
                "before": None,
                "dist": len(chunk),
                "children": chunk,
            },
        }
        return Route(
            json.dumps(body).encode(), headers={"Content-Type": "application/json; charset=UTF-8"}
        )


class MastodonPager(Pager):
    """Mastodon ``max_id`` paging with a ``Link: <…>; rel="next"`` header over recorded statuses."""

    def __init__(self, statuses: Sequence[Mapping[str, Any]], server: FeedServer, path: str):
        super().__init__()
        self.statuses = sorted(statuses, key=lambda s: int(s["id"]), reverse=True)
        self.server, self.path = server, path

    def page(self, query, handler) -> Route:
        limit = int(query.get("limit", 20))
        rows = [
            s for s in self.statuses if "max_id" not in query or int(s["id"]) < int(query["max_id"])
        ][:limit]
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if rows:
            following = dict(query, max_id=rows[-1]["id"])
            headers["Link"] = (
                f'<{self.server.url(self.path)}?{urllib.parse.urlencode(following)}>; rel="next"'
            )
        return Route(json.dumps(rows).encode(), headers=headers)


class CursorPager(Pager):
    """Bluesky-style ``cursor`` paging: ``{key: [...], "cursor": "<offset>"}``."""

    def __init__(self, items: Sequence[Any], key: str, wrap: Callable[[Any], Any] = lambda x: x):
        super().__init__()
        self.items, self.key, self.wrap = list(items), key, wrap

    def page(self, query, handler) -> Route:
        limit = int(query.get("limit", 50))
        start = int(query.get("cursor", 0))
        chunk = self.items[start : start + limit]
        body: dict[str, Any] = {self.key: [self.wrap(x) for x in chunk]}
        if start + limit < len(self.items):
            body["cursor"] = str(start + limit)
        return Route(json.dumps(body).encode(), headers={"Content-Type": "application/json"})


class AlgoliaPager(Pager):
    """hn.algolia.com ``search_by_date`` over recorded hits: ``page``, ``hitsPerPage``,
    ``numericFilters``."""

    def __init__(self, hits: Sequence[Mapping[str, Any]]):
        super().__init__()
        self.hits = sorted(hits, key=lambda h: h["created_at_i"], reverse=True)

    def page(self, query, handler) -> Route:
        per_page = int(query.get("hitsPerPage", 20))
        page = int(query.get("page", 0))
        hits = self.hits
        if query.get("numericFilters", "").startswith("created_at_i>="):
            floor = int(query["numericFilters"].split(">=")[1])
            hits = [h for h in hits if h["created_at_i"] >= floor]
        pages = max(1, -(-len(hits) // per_page))
        body = {
            "hits": hits[page * per_page : (page + 1) * per_page],
            "nbHits": len(hits),
            "page": page,
            "nbPages": pages,
            "hitsPerPage": per_page,
            "query": query.get("query", ""),
        }
        return Route(
            json.dumps(body).encode(), headers={"Content-Type": "application/json; charset=UTF-8"}
        )


# --------------------------------------------------------------------------- corpus helpers


def algolia_hits(corpora: pathlib.Path) -> list[dict[str, Any]]:
    """Every distinct recorded hit of the Algolia recordings (search and search_by_date)."""
    seen: dict[str, dict[str, Any]] = {}
    for path in sorted(
        (corpora / "hackernews/algolia-node-hacker-news-api/split").glob("search*.json")
    ):
        for hit in json.loads(path.read_text()).get("hits", []):
            seen.setdefault(hit["objectID"], hit)
    return list(seen.values())


def bluesky_post_views(corpora: pathlib.Path) -> list[dict[str, Any]]:
    """The 20 real @atproto.com post records (indigo capture) as ``postView``s (envelope per the
    lexicon)."""
    capture = json.loads((corpora / "bluesky/indigo/capture_atprotocom.json").read_text())
    did = capture["accountMeta"]["Identity"]["DID"]
    handle = capture["accountMeta"]["Identity"]["Handle"]
    views = []
    for record in capture["postRecords"]:
        views.append(
            {
                "uri": record["uri"],
                "cid": record["cid"],
                "author": {
                    "did": did,
                    "handle": handle,
                    "displayName": capture["accountMeta"]["Profile"]["DisplayName"],
                },
                "record": record["value"],
                "indexedAt": record["value"]["createdAt"],
                "replyCount": 0,
                "repostCount": 0,
                "likeCount": 0,
                "labels": [],
            }
        )
    return sorted(views, key=lambda v: v["indexedAt"], reverse=True)


# ------------------------------------------------------------------------- running sources in tests


def source_specs_from(sources_yaml: str, base_dir: pathlib.Path | None = None) -> list:
    """``SourceSpec``s for a ``sources:`` block (YAML text, indented under ``sources:``)."""
    from mentionwatch.config import LoadedConfig, parse_config
    from mentionwatch.sources.registry import source_specs

    text = "subjects:\n  - name: Dana Reyes\nsources:\n" + sources_yaml
    path = (base_dir or pathlib.Path.cwd()) / "test-config.yaml"
    return source_specs(LoadedConfig(parse_config(text, str(path)), path))


def poll_once(
    spec,
    state: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    reserve: float = 2.0,
):
    """One real poll of ``spec`` (real HTTP to the local server), no pacing."""
    import time

    from mentionwatch.sources.base import Session
    from mentionwatch.sources.http import fetch
    from mentionwatch.sources.poll_once import PollContext, poll_source

    def fetcher(url, **kwargs):
        # The recorded redirects point at the local server: loopback is allowed for them here.
        return fetch(
            url,
            timeout=timeout,
            max_bytes=10_000_000,
            user_agent="mentionwatch-test",
            allowed_networks=("127.0.0.0/8",),
            **kwargs,
        )

    context = PollContext(
        fetch=fetcher,
        pace=lambda: None,
        session=Session(fetcher, environ or {}, time.monotonic),
        rate_limit_reserve=reserve,
    )
    return poll_source(spec, state or {}, context)
