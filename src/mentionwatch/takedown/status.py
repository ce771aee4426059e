"""``takedown status`` and ``takedown mark``: where each request stands, checked and told.

``review`` goes through the stored requests (the open ones, or all):
re-checks the URLs of each open one (``recheck``; a request whose URLs are
all gone becomes ``removed``), reads its clock at ``now`` (``rules``) and
tells the helper once when it is past its deadline (``overdue``).
``describe`` turns the result into the lines the command prints: links by
host only unless asked, no content. ``mark`` records a status the person
reports (sent, acknowledged, removed, refused). Time is always passed in, so
tests set it rather than wait.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from mentionwatch.config.root import Config
from mentionwatch.store.db import HistoryStore
from mentionwatch.takedown.overdue import notify_overdue
from mentionwatch.takedown.platforms import host_of
from mentionwatch.takedown.recheck import Check, Fetcher, guarded_fetch, recheck_request
from mentionwatch.takedown.rules import (
    OPEN,
    Clock,
    TakedownError,
    check_transition,
    clock_of,
    describe_span,
)
from mentionwatch.timeutil import iso_z, parse_time


@dataclasses.dataclass(frozen=True)
class RequestStatus:
    """One request as ``takedown status`` found it: the stored row, its clock, checks, notice."""

    request: Mapping[str, Any]
    clock: Clock
    checks: tuple[Check, ...] = ()
    notice: str = ""


def mark(
    store: HistoryStore, request_id: str, status: str, *, at: dt.datetime, note: str = ""
) -> dict[str, Any]:
    """Records that request ``request_id`` is now ``status`` (at ``at``); returns the stored row.

    Raises:
      TakedownError: no such request, or a status that cannot follow its current one.
    """
    request = store.takedown(request_id)
    if request is None:
        raise TakedownError(
            f"no takedown request {request_id!r}; `mentionwatch takedown status CONFIG --all` "
            "lists them"
        )
    check_transition(request_id, request["status"], status)
    store.set_takedown_status(request_id, status, at, detail=note)
    return store.takedown(request_id) or {}


def review(
    store: HistoryStore,
    config: Config,
    *,
    now: dt.datetime,
    check: bool = True,
    notify: bool = True,
    include_closed: bool = False,
    fetcher: Fetcher = guarded_fetch,
    base_dir: pathlib.Path | None = None,
    env: Mapping[str, str] | None = None,
    console: TextIO | None = None,
) -> list[RequestStatus]:
    """Re-checks, clocks and (when overdue) announces every open request; see the module docstring.

    Args:
      store: the history store.
      config: the config (fetch policy, subjects, helpers and their channels).
      now: the moment the clocks are read at (aware).
      check: re-check the URLs of open requests.
      notify: tell helpers about overdue requests.
      include_closed: list removed and refused requests too (they are not re-checked).
      fetcher: the fetch function (``recheck.guarded_fetch``).
      base_dir: where relative ``file`` channel folders are (the config's folder).
      env: where channel secrets are read from (default: the environment).
      console: the stream a console channel writes to (default: stdout).
    """
    rows = store.takedowns(None if include_closed else OPEN)
    found = []
    for row in rows:
        checks: list[Check] = []
        if check and row["status"] in OPEN:
            checks = recheck_request(store, config, row, now=now, fetcher=fetcher)
            row = store.takedown(row["request_id"]) or row
        clock = clock_of(row, now)
        notice = ""
        if notify:
            notice = notify_overdue(
                store, config, row, clock, now=now, base_dir=base_dir, env=env, console=console
            )
        found.append(RequestStatus(row, clock, tuple(checks), notice))
    return found


def _link(url: str, show_links: bool) -> str:
    return url if show_links else f"{host_of(url)}/…"


def _clock_line(status: RequestStatus, now: dt.datetime) -> str:
    request, clock = status.request, status.clock
    if not clock.running:
        at = parse_time(request.get(f"{request['status']}_at")) or parse_time(request["drafted_at"])
        return f"{request['status']} {iso_z(at)}"
    deadline = describe_span(dt.timedelta(hours=float(request["deadline_hours"])))
    elapsed = f"sent {iso_z(request['sent_at'])}, {describe_span(clock.elapsed)} of {deadline}"
    if clock.overdue:
        return f"{elapsed}: past its deadline by {describe_span(now - clock.due_at)}"
    return f"{elapsed}: due in {describe_span(clock.due_at - now)}"


def describe(
    statuses: Sequence[RequestStatus], now: dt.datetime, *, show_links: bool = False
) -> list[str]:
    """The lines ``takedown status`` prints (links by host only unless ``show_links``)."""
    if not statuses:
        return ["no open takedown requests"]
    lines = []
    for status in statuses:
        request = status.request
        links = len(request["urls"])
        lines.append(
            f"{request['request_id']}  {request['kind']:<8} {request['host']} "
            f"({links} link{'s' if links != 1 else ''})  {request['status']}"
        )
        lines.append(f"    {_clock_line(status, now)}")
        if request.get("work"):
            lines.append(f"    work: “{request['work']}”")
        for number, check in enumerate(status.checks, 1):
            code = f" (HTTP {check.http_status})" if check.http_status else ""
            lines.append(
                f"    link {number} {_link(check.url, show_links)}: {check.outcome}{code}"
                + (f"; {check.detail}" if check.outcome == "unknown" else "")
            )
        if status.notice:
            lines.append(f"    {status.notice}")
    return lines
