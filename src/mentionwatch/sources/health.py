"""Source health: is each source working, and when is the operator told?

A source is, in order of precedence:

* ``failing``: its last ``alert_after_failures`` polls (or more) failed;
* ``silent``: it has an ``expected_update_period_s`` and has produced no new
  item for longer than that (counted from its last item, or from its first
  poll when it never produced one), like Huginn's ``expected_update_period``;
* ``deferred``: waiting for a Retry-After or rate-limit reset (reported, not
  alerted: it is the platform asking us to wait);
* ``ok`` (or ``new``: never polled).

The operator (never the subject) is alerted on a change to ``failing`` or
``silent``, reminded every ``REMIND_AFTER`` while it lasts, and told when the
source recovers. The alert is a message on the dead-letters topic with the
attributes ``kind=source_health``, ``state`` and ``source``, plus a WARNING
log line; see docs/sources.md. The subject's alerts topic never carries it.

Everything here is a plain function over the ``feed_state`` row, so the
policy is unit-tested without a pipeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from mentionwatch.sources.base import SourceSpec
from mentionwatch.timeutil import iso_z, parse_time

OK, NEW, FAILING, SILENT, DEFERRED = "ok", "new", "failing", "silent", "deferred"
UNHEALTHY = (FAILING, SILENT)
REMIND_AFTER = dt.timedelta(hours=24)
SCHEMA_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Health:
    """A source's state now, and why."""

    state: str
    reason: str


def assess(
    state: Mapping[str, Any] | None,
    *,
    expected_update_period_s: float | None,
    alert_after_failures: int,
    now: dt.datetime,
) -> Health:
    """The health of one source from its ``feed_state`` row (None: never polled)."""
    if not state:
        return Health(NEW, "not polled yet")
    failures = int(state.get("consecutive_failures") or 0)
    if failures >= alert_after_failures:
        error = (
            (state.get("last_error") or "").splitlines()[0][:300]
            if state.get("last_error")
            else "unknown error"
        )
        return Health(FAILING, f"{failures} polls in a row failed; last: {error}")
    if expected_update_period_s:
        since = parse_time(state.get("last_item_at")) or parse_time(state.get("first_poll_at"))
        if since is not None and (now - since).total_seconds() > expected_update_period_s:
            hours = (now - since).total_seconds() / 3600
            what = "no new item" if state.get("last_item_at") else "no item ever"
            return Health(
                SILENT,
                f"{what} for {hours:.1f} h (expected at least one every "
                f"{expected_update_period_s / 3600:.1f} h)",
            )
    next_fetch = parse_time(state.get("next_fetch_at"))
    if next_fetch is not None and next_fetch > now:
        return Health(DEFERRED, f"waiting until {iso_z(next_fetch)} (Retry-After / rate limit)")
    if failures:
        return Health(OK, f"last poll failed ({failures}x), below the alert threshold")
    return Health(OK, "working")


@dataclasses.dataclass(frozen=True)
class Notice:
    """A health message for the operator: publish it, then record ``state``."""

    state: str  # the state to record once published
    event: str  # failing | silent | recovered | reminder
    body: bytes
    attributes: dict[str, str]
    log_line: str


def decide(
    spec: SourceSpec,
    row: Mapping[str, Any] | None,
    health: Health,
    *,
    now: dt.datetime,
    items_per_day: float | None = None,
) -> Notice | None:
    """Whether to tell the operator about ``spec`` now (None: nothing new to say).

    Timeline: ok → failing/silent: a notice at once; still unhealthy: a
    reminder after ``REMIND_AFTER``; failing/silent → ok: a "recovered"
    notice; deferred and new change nothing.
    """
    previous = (row or {}).get("health_state") or OK
    alerted_at = parse_time((row or {}).get("health_alerted_at"))
    if health.state in UNHEALTHY:
        if previous == health.state and alerted_at is not None and now - alerted_at < REMIND_AFTER:
            return None
        event = "reminder" if previous == health.state else health.state
    elif health.state == OK and previous in UNHEALTHY:
        event = "recovered"
    else:
        return None
    body = {
        "schema_version": SCHEMA_VERSION,
        "kind": "source_health",
        "event": event,
        "state": health.state,
        "reason": health.reason,
        "source": spec.name,
        "source_kind": spec.kind,
        "source_url": spec.url,
        "consecutive_failures": int((row or {}).get("consecutive_failures") or 0),
        "last_success_at": iso_z((row or {}).get("last_success_at")),
        "last_item_at": iso_z((row or {}).get("last_item_at")),
        "items_per_day": None if items_per_day is None else round(items_per_day, 2),
        "time": iso_z(now),
    }
    attributes = {
        "kind": "source_health",
        "state": health.state,
        "event": event,
        "source": spec.name[:1000],
    }
    line = f"source {spec.name!r} ({spec.kind}) is {health.state}: {health.reason}"
    if event == "recovered":
        line = f"source {spec.name!r} ({spec.kind}) recovered: {health.reason}"
    return Notice(
        health.state, event, json.dumps(body, ensure_ascii=False).encode("utf-8"), attributes, line
    )


def status_rows(
    specs: list[SourceSpec],
    states: Mapping[str, Mapping[str, Any]],
    per_day: Mapping[str, float],
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """One row per configured source for ``mentionwatch sources status``."""
    rows = []
    for spec in specs:
        row = states.get(spec.url)
        health = assess(
            row,
            expected_update_period_s=spec.expected_update_period_s,
            alert_after_failures=spec.alert_after_failures,
            now=now,
        )
        rows.append(
            {
                "name": spec.name,
                "kind": spec.kind,
                "state": health.state,
                "reason": health.reason,
                "last_success_at": iso_z((row or {}).get("last_success_at")),
                "last_item_at": iso_z((row or {}).get("last_item_at")),
                "consecutive_failures": int((row or {}).get("consecutive_failures") or 0),
                "items_total": int((row or {}).get("items_total") or 0),
                "items_per_day": round(per_day.get(spec.url, 0.0), 2),
                "next_fetch_at": iso_z((row or {}).get("next_fetch_at")),
                "last_truncated_at": iso_z((row or {}).get("last_truncated_at")),
                "last_error": ((row or {}).get("last_error") or "")[:300] or None,
                "url": spec.url,
            }
        )
    return rows


def _age(iso: str | None, now: dt.datetime) -> str:
    if not iso:
        return "never"
    seconds = (now - parse_time(iso)).total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit} ago"
    return f"{max(0, seconds):.0f}s ago"


def format_status(rows: list[dict[str, Any]], now: dt.datetime) -> list[str]:
    """The status table as text lines (no post text, no credentials)."""
    header = (
        f"{'source':<36} {'kind':<13} {'state':<9} {'last success':<13} {'fails':>5} "
        f"{'items/day':>9} {'last item':<13}"
    )
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['name'][:36]:<36} {r['kind']:<13} {r['state']:<9} "
            f"{_age(r['last_success_at'], now):<13} {r['consecutive_failures']:>5} "
            f"{r['items_per_day']:>9.1f} {_age(r['last_item_at'], now):<13}"
        )
        if r["state"] != OK:
            lines.append(f"    {r['reason']}")
    return lines
