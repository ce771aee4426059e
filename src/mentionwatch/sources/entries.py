"""RSS, Atom and JSON Feed parsing, and turning entries into ``Item``s.

Two steps, kept apart so each has its own error output in the pipeline:

* ``parse_feed`` turns a fetched body into ``RawEntry`` records (one bad feed
  is one dead letter). RSS and Atom go through feedparser; JSON Feed, which
  feedparser 6 does not read, has its own strict parser here.
* ``entry_to_item`` turns one entry into an ``Item`` (one bad entry is one
  dead letter; the rest of the feed still flows).

feedparser sets ``bozo`` for feeds it could still read (undefined entities, a
blank line before ``<?xml``); those are kept. A body with no recognisable
feed and no entries is an error.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import json
import logging
import math
import re
import time
from collections.abc import Iterator, Mapping
from typing import Any

import feedparser

from mentionwatch.ids import item_id, sha256_hex
from mentionwatch.records import Item
from mentionwatch.sources.http import FetchResult
from mentionwatch.textutil import html_to_text, safe_url
from mentionwatch.timeutil import iso_z

_log = logging.getLogger(__name__)


class FeedError(ValueError):
    """A fetched body is not a feed we can read."""


class EntryError(ValueError):
    """One entry cannot become an item (no text, malformed date, ...)."""


@dataclasses.dataclass(frozen=True)
class RawEntry:
    """One entry as the feed gave it, before normalisation.

    ``title`` and ``body`` may still contain HTML. ``published_at`` is an
    ISO-8601 UTC string or None when the feed gave no date (or a value kept
    raw by ``deferred_timestamp`` for strict parsing per entry).

    ``id_scope``, when set, replaces ``feed_url`` in the item id: social
    sources set it to the platform (``reddit``, ``bluesky``, ...) so one post
    found by two searches is one item.

    ``error``, when set, says why the post behind this entry could not be
    read (``base.convert_each``): ``entry_to_item`` rejects it, so that one
    post becomes a dead letter and the rest of its page is kept.
    """

    source: str
    feed_url: str
    guid: str
    link: str
    title: str
    body: str
    author: str
    published_at: str | None
    language: str | None
    raw_ref: str
    fetched_at: str
    id_scope: str = ""
    error: str = ""


def parse_feed(result: FetchResult, source: str) -> list[RawEntry]:
    """Parses a fetched feed body into entries.

    Args:
      result: the fetch result (its body is parsed, its URL and hash recorded).
      source: the name this feed has in the config (or its URL).

    Raises:
      FeedError: the body is not RSS, Atom or JSON Feed.
    """
    if _looks_like_json(result):
        return list(_parse_json_feed(result, source))
    return list(_parse_xml_feed(result, source))


def _looks_like_json(result: FetchResult) -> bool:
    content_type = result.headers.get("content-type", "").lower()
    head = result.body.lstrip()[:1]
    return "json" in content_type or head in (b"{", b"[")


def _parse_xml_feed(result: FetchResult, source: str) -> Iterator[RawEntry]:
    parsed = feedparser.parse(result.body, response_headers=dict(result.headers))
    if not parsed.entries and not parsed.get("version"):
        reason = parsed.get("bozo_exception") or "no RSS or Atom structure found"
        raise FeedError(f"not a feed: {reason}")
    if parsed.bozo:
        # Usable but not well-formed; keep the entries, note it for operators.
        _log.debug("feed %s parsed with warnings: %s", result.url, parsed.get("bozo_exception"))
    feed_language = parsed.feed.get("language")
    raw_ref = result.sha256
    for entry in parsed.entries:
        body = ""
        if entry.get("content"):
            body = max((c.get("value", "") for c in entry.content), key=len)
        if not body:
            body = entry.get("summary", "") or entry.get("media_description", "")
        yield RawEntry(
            source=source,
            feed_url=result.url,
            guid=str(entry.get("id") or entry.get("link") or ""),
            link=str(entry.get("link") or ""),
            title=str(entry.get("title") or ""),
            body=str(body),
            author=str(entry.get("author") or ""),
            published_at=_struct_to_iso(
                entry.get("published_parsed") or entry.get("updated_parsed")
            ),
            language=entry.get("language") or feed_language,
            raw_ref=raw_ref,
            fetched_at=result.fetched_at,
        )


def _parse_json_feed(result: FetchResult, source: str) -> Iterator[RawEntry]:
    try:
        document = json.loads(result.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedError(f"not a feed: invalid JSON ({exc})") from None
    if not isinstance(document, dict) or "jsonfeed.org/version" not in str(
        document.get("version", "")
    ):
        raise FeedError("not a feed: JSON without a jsonfeed.org version")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError("not a feed: JSON Feed without an 'items' list")
    raw_ref = result.sha256
    for entry in items:
        if not isinstance(entry, Mapping):
            continue
        authors = entry.get("authors") or (
            [entry["author"]] if isinstance(entry.get("author"), Mapping) else []
        )
        author = ", ".join(
            str(a.get("name", "")) for a in authors if isinstance(a, Mapping) and a.get("name")
        )
        yield RawEntry(
            source=source,
            feed_url=result.url,
            guid=str(entry.get("id") or entry.get("url") or ""),
            link=str(entry.get("url") or entry.get("external_url") or ""),
            title=str(entry.get("title") or ""),
            body=str(
                entry.get("content_html") or entry.get("content_text") or entry.get("summary") or ""
            ),
            author=author,
            published_at=_keep_raw_date(entry.get("date_published") or entry.get("date_modified")),
            language=entry.get("language") or document.get("language"),
            raw_ref=raw_ref,
            fetched_at=result.fetched_at,
        )


def _struct_to_iso(value: time.struct_time | None) -> str | None:
    if value is None:
        return None
    return iso_z(dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC))


_RAW_DATE_PREFIX = "raw:"


def _keep_raw_date(value: Any) -> str | None:
    # Strict parsing happens per entry (entry_to_item) so one bad date
    # dead-letters one entry, not the whole feed.
    return None if value in (None, "") else _RAW_DATE_PREFIX + str(value)


def deferred_timestamp(value: Any) -> str | None:
    """Keeps an API timestamp as given; ``entry_to_item`` parses it strictly.

    A malformed value then fails that one entry (a dead letter), never the
    page it came in, and is never replaced by a guess.
    """
    return _keep_raw_date(value)


def epoch_timestamp(value: Any) -> str | None:
    """Epoch seconds (Reddit ``created_utc``, HN ``created_at_i``) as ISO-8601 UTC.

    Anything that is not a finite number in a plausible range is kept raw so
    ``entry_to_item`` rejects it (see ``deferred_timestamp``).
    """
    if value is None or value == "":
        return None
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and _EPOCH_MIN <= value <= _EPOCH_MAX
    ):
        return iso_z(dt.datetime.fromtimestamp(int(value), dt.UTC))
    return _RAW_DATE_PREFIX + f"epoch {value!r}"


# 1990-01-01 .. 2100-01-01: outside this, an "epoch" is a unit mistake (ms, us).
_EPOCH_MIN, _EPOCH_MAX = 631_152_000, 4_102_444_800

# RFC 3339 / ISO-8601 profile used by APIs (and the atproto datetime rules):
# full date, "T", full time with seconds, optional fraction, and a "Z" or a
# "+HH:MM" offset. Lower-case "t"/"z", missing seconds, "-00:00", a space
# separator or missing offsets are all rejected.
_ISO_TIMESTAMP = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})T(?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<offset>Z|[+-]\d{2}:\d{2})"
)


def parse_iso_timestamp(value: str) -> str:
    """Parses an ISO-8601 timestamp strictly; returns it in UTC with a ``Z``.

    Accepts ``YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM)`` only (RFC 3339, as
    JSON Feed and every social API here use it), with a real calendar date and
    time. Fractions are truncated to seconds.

    Raises:
      EntryError: the value is not such a timestamp, or has no UTC offset.
    """
    match = _ISO_TIMESTAMP.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        if isinstance(value, str) and re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?", value.strip()
        ):
            raise EntryError(f"timestamp {value!r} has no UTC offset")
        raise EntryError(f"malformed timestamp {value!r} (expected ISO-8601 with an offset)")
    offset = match["offset"]
    if offset == "-00:00":
        raise EntryError(f"malformed timestamp {value!r} (-00:00 is not an ISO-8601 offset)")
    try:
        return iso_z(f"{match['date']}T{match['time']}{offset}")
    except (ValueError, OverflowError):
        raise EntryError(f"malformed timestamp {value!r} (not a real date and time)") from None


def entry_to_item(entry: RawEntry) -> Item:
    """Normalises one entry: plain text, a stable id, a strict UTC date.

    Raises:
      EntryError: the entry has neither title nor text, or a malformed date,
        or its post could not be read (``entry.error``).
    """
    if entry.error:
        raise EntryError(entry.error)
    title = html_to_text(entry.title)
    text = html_to_text(entry.body)
    if not title and not text:
        raise EntryError("entry has no title and no text")
    published = entry.published_at
    if published and published.startswith(_RAW_DATE_PREFIX):
        published = parse_iso_timestamp(published.removeprefix(_RAW_DATE_PREFIX))
    guid = entry.guid or entry.link or sha256_hex(f"{title}\n{text}".encode())
    return Item(
        id=item_id(entry.id_scope or entry.feed_url, guid),
        source=entry.source,
        url=safe_url(entry.link),  # only http(s), no control characters (docs/security.md)
        title=title,
        text=text,
        author=entry.author,
        published_at=published,
        fetched_at=entry.fetched_at,
        language=entry.language,
        raw_ref=entry.raw_ref,
    )


def item_from_input(record: Mapping[str, Any], line_ref: str) -> Item:
    """Builds an item from one ``--input`` JSON object (``id`` and ``text`` required).

    The item keeps the caller's ``id`` unchanged so ``--output`` lines can be
    joined back to the input. ``url``, ``title``, ``source``, ``published``,
    ``author`` and ``lang`` are used when present; other keys are ignored. A
    ``published`` value that is not ISO-8601 is dropped (never guessed).

    Raises:
      EntryError: a required key is missing or has the wrong type.
    """
    if not isinstance(record, Mapping):
        raise EntryError(f"{line_ref}: expected a JSON object, got {type(record).__name__}")
    ident = record.get("id")
    text = record.get("text")
    if (
        ident is None
        or (isinstance(ident, str) and not ident.strip())
        or not isinstance(ident, (str, int))
    ):
        raise EntryError(f"{line_ref}: missing 'id' (a non-empty string)")
    if not isinstance(text, str):
        raise EntryError(f"{line_ref}: missing 'text' (a string)")
    title = record.get("title") or ""
    if not isinstance(title, str):
        raise EntryError(f"{line_ref}: 'title' must be a string")
    if not text.strip() and not title.strip():
        raise EntryError(f"{line_ref}: item has no text")
    published = record.get("published") or record.get("published_at")
    try:
        published_at = (
            parse_iso_timestamp(published) if isinstance(published, str) and published else None
        )
    except EntryError:
        # Never guess a date; the item itself is still worth classifying.
        published_at = None
    return Item(
        id=str(ident),
        source=str(record.get("source") or "input"),
        url=str(record.get("url") or ""),
        title=title,
        text=text,
        author=str(record.get("author") or ""),
        published_at=published_at,
        language=record.get("lang") or record.get("language"),
    )
