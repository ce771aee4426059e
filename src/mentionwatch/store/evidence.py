"""Evidence capture: the server's bytes as fetched, kept by hash.

Every successful fetch (``record_fetch``) stores the response body once per
SHA-256 of its bytes (``evidence_blobs``, compressed with zlib; the hash is
always of the uncompressed bytes as fetched) and a ``fetches`` row per (URL,
body) with the first and last fetch time, the fetch count, and the status
and headers of the first fetch. ``Item.raw_ref`` is the same SHA-256, so
every stored mention points at the exact bytes it was read from. The body is
what the server sent after removing the transfer's ``Content-Encoding``
(gzip, deflate), byte for byte; it is never re-rendered.

``read_body`` gives a body back only when its bytes still match their hash.
Packs of an alert's evidence are built by ``store.evidence_pack`` and checked
by ``store.evidence_verify``.
"""

from __future__ import annotations

import datetime as dt
import logging
import urllib.parse
import zlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from mentionwatch.ids import digest, sha256_hex
from mentionwatch.records import DeadLetter
from mentionwatch.store import schema
from mentionwatch.store.db import HistoryStore
from mentionwatch.store.engine import StoreUnavailable
from mentionwatch.timeutil import parse_time

_log = logging.getLogger(__name__)

# Bodies smaller than this are stored as they are; compressing them gains little.
_COMPRESS_FROM = 256


class EvidenceError(RuntimeError):
    """An evidence pack cannot be built (unknown alert, or stored bytes that fail their hash)."""


def fetch_id(url: str, sha256: str) -> str:
    """The ``fetches`` key of one body fetched from one URL (content-derived)."""
    return "fe_" + digest("fetch", url, sha256)


def _encode(body: bytes) -> tuple[bytes, str]:
    if len(body) < _COMPRESS_FROM:
        return body, "identity"
    return zlib.compress(body, 6), "zlib"


def _decode(data: bytes, encoding: str) -> bytes:
    if encoding == "identity":
        return bytes(data)
    if encoding == "zlib":
        return zlib.decompress(data)
    raise EvidenceError(f"unknown evidence encoding {encoding!r}")


def record_fetch(store: HistoryStore, result, source: str) -> str:
    """Keeps a successful fetch as evidence; returns the body's SHA-256.

    ``result`` is a ``sources.http.FetchResult`` (a 304 has no body and is not
    recorded). Idempotent: the same body from the same URL again only moves
    ``last_fetched_at`` and counts the fetch.
    """
    if result.not_modified:
        return ""
    sha = result.sha256
    fetched = parse_time(result.fetched_at) or dt.datetime.now(dt.UTC)
    blobs, fetches = schema.evidence_blobs, schema.fetches
    with store.transaction() as connection:
        known = connection.execute(sa.select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first()
        if known is None:
            data, encoding = _encode(result.body)
            connection.execute(
                store.upsert_statement(blobs, ["sha256"]),
                [
                    {
                        "sha256": sha,
                        "size": len(result.body),
                        "encoding": encoding,
                        "data": data,
                        "stored_at": fetched,
                    }
                ],
            )
        insert = store.insert(fetches)
        statement = insert.on_conflict_do_update(
            index_elements=["fetch_id"],
            set_={
                "last_fetched_at": sa.func.max(
                    fetches.c.last_fetched_at, insert.excluded.last_fetched_at
                )
                if store.engine.dialect.name == "sqlite"
                else sa.func.greatest(fetches.c.last_fetched_at, insert.excluded.last_fetched_at),
                "fetch_count": fetches.c.fetch_count + 1,
            },
        )
        connection.execute(
            statement,
            [
                {
                    "fetch_id": fetch_id(result.url, sha),
                    "url": result.url,
                    "source": source,
                    "sha256": sha,
                    "size": len(result.body),
                    "status": result.status,
                    "headers": dict(result.headers),
                    "first_fetched_at": fetched,
                    "last_fetched_at": fetched,
                    "fetch_count": 1,
                    "final_url": result.final_url if getattr(result, "redirects", ()) else None,
                    "redirects": list(result.redirects)
                    if getattr(result, "redirects", ())
                    else None,
                }
            ],
        )
    return sha


def capture_fetch(store: HistoryStore, result, source: str) -> str:
    """``record_fetch`` for the fetch paths (scan, ingest): evidence never stops monitoring.

    A store that is unreachable raises ``StoreUnavailable`` (the runner
    retries, as for every other write). Any other failure to keep the body is
    logged and written as a ``RecordEvidence`` dead letter, and the fetch goes
    on to be parsed: an alert without its raw body beats no alert.
    """
    try:
        return record_fetch(store, result, source)
    except StoreUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as a dead letter; the fetch itself succeeded
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _log.error("could not keep the body of %s as evidence: %s", result.url, error)
        store.write_dead_letters([DeadLetter(stage="RecordEvidence", ref=result.url, error=error)])
        return ""


def keeping_evidence(store: HistoryStore, fetch: Callable[..., Any]) -> Callable[..., Any]:
    """``fetch`` that keeps every successful response as evidence (``capture_fetch``).

    For ingest's polling, which hands this to ``poll_source`` as the page
    fetcher. Only source pages go through it: credential requests (OAuth
    token endpoints) use the unwrapped fetch, so tokens never reach the
    evidence store. The fetch record's source is the URL's host (the poller
    fetches by URL; the item rows name the source).
    """

    def fetch_and_keep(url: str, **kwargs: Any):
        result = fetch(url, **kwargs)
        if kwargs.get("data") is None:  # a request with a body is never a source page
            capture_fetch(store, result, urllib.parse.urlsplit(url).netloc or url)
        return result

    return fetch_and_keep


def read_body(store: HistoryStore, sha256: str) -> bytes | None:
    """The stored body with this hash, verified; None when it is not stored."""
    blobs = schema.evidence_blobs
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(blobs.c.data, blobs.c.encoding).where(blobs.c.sha256 == sha256)
        ).first()
    if row is None:
        return None
    body = _decode(row.data, row.encoding)
    if sha256_hex(body) != sha256:
        raise EvidenceError(
            f"stored body {sha256} does not match its SHA-256 (it is {sha256_hex(body)}): "
            "the store is damaged or was altered; refusing to export it as evidence"
        )
    return body
