"""An alert as ``notify`` reads it from Pub/Sub.

The body is the JSON of ``mentionwatch.records.Alert`` (docs/alerts.md). This
reader is deliberately lenient: only ``alert_id``, ``subject``, ``label`` and
``severity`` are required, unknown fields are ignored and missing optional
ones take defaults, so producers can add fields without breaking delivery. A
body with a newer ``schema_version`` than this code knows is refused
(``UnreadableAlert``): a version bump means an incompatible change, and the
message is kept as a dead letter until ``notify`` is upgraded.

The excerpt and title may be abusive; they are left out of ``repr`` so a log
line or a traceback never shows them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from mentionwatch.records import SCHEMA_VERSION, SEVERITIES
from mentionwatch.store.derive import domain_of
from mentionwatch.textutil import safe_url
from mentionwatch.timeutil import parse_time


class UnreadableAlert(ValueError):
    """The message is not an alert this version can deliver; the text says why, not the content."""


def _time_or_none(value: object) -> dt.datetime | None:
    """A time from the message, or None when missing or not a time (alerts come from outside)."""
    try:
        return parse_time(value) if isinstance(value, str) else None
    except ValueError:
        return None


@dataclasses.dataclass(frozen=True)
class IncomingAlert:
    """The fields of an alert that routing and rendering use."""

    alert_id: str
    subject: str
    label: str
    severity: str
    harassment_type: str | None = None
    kind: str = "mention"
    count: int = 1
    url: str = ""
    source: str = ""
    title: str = dataclasses.field(default="", repr=False)
    excerpt: str = dataclasses.field(default="", repr=False)
    published_at: str | None = None
    created_at: str | None = None
    content_warning: bool = True
    evidence_ref: str = ""
    related_urls: tuple[str, ...] = ()
    known_content: str = ""  # the title of her known work a re-promotion names
    body: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def when(self) -> dt.datetime | None:
        """When it was posted (or, failing that, when the alert was made)."""
        return _time_or_none(self.published_at) or _time_or_none(self.created_at)

    @property
    def where(self) -> str:
        """The site, as a person would name it: the link's host, else the source name."""
        return domain_of(self.url) or self.source or "an unknown source"

    @property
    def hidden(self) -> bool:
        """True when the excerpt (and title) are behind a content warning."""
        return self.content_warning or self.label != "benign"


def from_mapping(data: Mapping[str, Any]) -> IncomingAlert:
    """Builds an alert from a decoded body; raises ``UnreadableAlert``."""
    if not isinstance(data, Mapping):
        raise UnreadableAlert("the body is not a JSON object")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise UnreadableAlert(
            f"schema_version {version!r} is newer than this notify understands "
            f"({SCHEMA_VERSION}); upgrade mentionwatch"
        )
    missing = [
        key
        for key in ("alert_id", "subject", "label", "severity")
        if not isinstance(data.get(key), str) or not data.get(key)
    ]
    if missing:
        raise UnreadableAlert(f"missing or empty field(s): {', '.join(missing)}")
    if data["severity"] not in SEVERITIES:
        raise UnreadableAlert(f"unknown severity {data['severity']!r}")
    try:
        count = max(1, int(data.get("count") or 1))
    except (TypeError, ValueError, OverflowError):
        raise UnreadableAlert("count is not a number") from None
    if not isinstance(data.get("harassment_type") or "", str):
        raise UnreadableAlert("harassment_type is not a string")
    related = data.get("related_urls") or ()
    return IncomingAlert(
        alert_id=data["alert_id"],
        subject=data["subject"],
        label=data["label"],
        severity=data["severity"],
        harassment_type=data.get("harassment_type") or None,
        kind=str(data.get("kind") or "mention"),
        count=count,
        url=safe_url(
            str(data.get("url") or "")
        ),  # a hostile publisher's link never reaches a message
        source=str(data.get("source") or ""),
        title=str(data.get("title") or ""),
        excerpt=str(data.get("excerpt") or ""),
        published_at=data.get("published_at") or None,
        created_at=data.get("created_at") or None,
        content_warning=bool(data.get("content_warning", True)),
        evidence_ref=str(data.get("evidence_ref") or ""),
        related_urls=tuple(u for u in (safe_url(str(u)) for u in related if u) if u)
        if isinstance(related, (list, tuple))
        else (),
        known_content=str(data.get("known_content") or ""),
        body=dict(data),
    )


def parse_alert(data: bytes) -> IncomingAlert:
    """Decodes a Pub/Sub message body; raises ``UnreadableAlert``."""
    try:
        decoded = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnreadableAlert(f"the body is not UTF-8 JSON ({type(exc).__name__})") from None
    return from_mapping(decoded)
