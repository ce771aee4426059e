"""The kinds of request, their statuses, which status may follow which, and the clocks.

=========  ===========================================  ==========================================
kind       legal basis                                  clock (from the time it was sent)
=========  ===========================================  ==========================================
dmca       17 U.S.C. § 512(c)(3)(A) notice              ``takedown.follow_up_days.dmca`` (7 days)
ncii       TAKE IT DOWN Act (2025) removal request      48 hours: the Act's removal deadline
dsa        EU Digital Services Act, Article 16 notice   ``takedown.follow_up_days.dsa`` (7 days)
platform   the platform's own rules (harassment,        ``takedown.follow_up_days.platform``
           doxxing, impersonation report)               (7 days)
=========  ===========================================  ==========================================

Only the 48 hours are a legal deadline; the other clocks are a reminder to
look again and follow up (DMCA and DSA set no fixed number of hours).

A request moves ``drafted`` → ``sent`` → ``acknowledged`` → ``removed`` or
``refused``; ``removed`` and ``refused`` may follow ``sent`` directly, a
draft whose URLs are already gone becomes ``removed``, and a refused or
removed request may be sent again (an appeal, or the content came back),
which restarts its clock. Everything not ``removed`` or ``refused`` is open.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import Any

from mentionwatch.config.takedown import FollowUp
from mentionwatch.timeutil import parse_time

KINDS = ("dmca", "ncii", "dsa", "platform")
STATUSES = ("drafted", "sent", "acknowledged", "removed", "refused")
OPEN = ("drafted", "sent", "acknowledged")
NCII_HOURS = 48.0

TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "drafted": ("sent", "removed"),
    "sent": ("acknowledged", "removed", "refused"),
    "acknowledged": ("removed", "refused"),
    "refused": ("sent",),
    "removed": ("sent",),
}

TITLES = {
    "dmca": "DMCA notice (17 U.S.C. § 512(c)(3))",
    "ncii": "TAKE IT DOWN Act removal request",
    "dsa": "Digital Services Act notice (Article 16)",
    "platform": "platform report",
}


class TakedownError(ValueError):
    """A request cannot be drafted or changed; the message says what is wrong and what to do."""


@dataclasses.dataclass(frozen=True)
class Deadline:
    """How long a sent request may wait for an answer, and the rule in words."""

    hours: float
    rule: str


def deadline_for(kind: str, follow_up: FollowUp) -> Deadline:
    """The deadline of a request of ``kind`` (the config's ``takedown.follow_up_days``).

    Raises:
      TakedownError: ``kind`` is not one of ``KINDS``.
    """
    if kind == "ncii":
        return Deadline(
            NCII_HOURS,
            "48 hours after sending: the TAKE IT DOWN Act's removal deadline for covered platforms",
        )
    if kind not in KINDS:
        raise TakedownError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    days = float(getattr(follow_up, kind))
    return Deadline(
        days * 24,
        f"follow up {days:g} days after sending (takedown.follow_up_days.{kind}; "
        "no fixed legal deadline)",
    )


def check_transition(request_id: str, current: str, new: str) -> None:
    """Raises ``TakedownError`` unless a request in ``current`` may move to ``new``."""
    if new not in STATUSES:
        raise TakedownError(f"unknown status {new!r}; expected one of: {', '.join(STATUSES)}")
    allowed = TRANSITIONS.get(current, ())
    if new not in allowed:
        choices = ", ".join(allowed) or "nothing"
        raise TakedownError(
            f"request {request_id} is {current}; it can become {choices}, not {new}"
        )


@dataclasses.dataclass(frozen=True)
class Clock:
    """Where a request stands against its deadline at one moment.

    Attributes:
      running: True when the clock runs (the request was sent and is still open).
      elapsed: time since it was sent (zero when it was not).
      due_at: when the deadline passes (None when not sent).
      overdue: True when it is open, was sent, and ``due_at`` has passed.
    """

    running: bool
    elapsed: dt.timedelta
    due_at: dt.datetime | None
    overdue: bool


def clock_of(request: Mapping[str, Any], now: dt.datetime) -> Clock:
    """The clock of a stored request at ``now`` (an aware time)."""
    sent = parse_time(request.get("sent_at"))
    if sent is None or request["status"] not in ("sent", "acknowledged"):
        return Clock(False, dt.timedelta(0), None, False)
    due = sent + dt.timedelta(hours=float(request["deadline_hours"]))
    return Clock(True, max(now - sent, dt.timedelta(0)), due, now >= due)


def describe_span(span: dt.timedelta) -> str:
    """A duration in words a person reads at a glance: ``2 days 3 hours``, ``40 minutes``."""
    minutes = int(abs(span).total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and (minutes or not parts):
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)
