"""Routing: who receives an alert, whether it interrupts, and when digests go out.

Pure functions of an alert, a recipient's settings and the time, so every
rule is unit-tested without Pub/Sub or sleeping. All schedules are in the
recipient's local time zone and computed with ``zoneinfo``, so daylight-saving
changes move nothing by an hour.

The rules, per (alert, recipient):

1. The recipient receives the alert when its subject is one of theirs (or
   they list none) and its label is one of their ``labels``.
2. It is **immediate** when its severity is at least
   ``immediate.min_severity`` (critical by default), or its harassment type
   is in ``immediate.harassment_types`` (threat, doxxing), or its ``kind`` is
   in ``immediate.kinds`` (``pile_on``). Immediate alerts go to every channel
   now, one message each.
3. During the recipient's **quiet hours** only critical alerts are delivered
   at once; an immediate alert below critical is **held** until the quiet
   hours end and goes out in the digest sent then.
4. Everything else joins the **digest**, due at the next scheduled time
   (top of the hour, or daily at HH:MM); a digest that would fall due inside
   quiet hours is moved to their end.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

from mentionwatch.config import DigestSchedule, ImmediatePolicy, QuietHours, Recipient
from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.records import SEVERITIES

IMMEDIATE = "immediate"
DIGEST = "digest"
HELD = "quiet_hours"

UTC = dt.UTC


@dataclasses.dataclass(frozen=True)
class Route:
    """Where one alert goes for one recipient: now, or into the queue until ``due_at`` (UTC)."""

    how: str
    due_at: dt.datetime | None = None


def receives(recipient: Recipient, alert: IncomingAlert) -> bool:
    """True when the alert's subject and label are among the recipient's (rule 1)."""
    if recipient.subjects and alert.subject not in recipient.subjects:
        return False
    return alert.label in recipient.labels


def is_immediate(policy: ImmediatePolicy, alert: IncomingAlert) -> bool:
    """True when the alert interrupts: severe enough, an urgent type or kind (rule 2)."""
    if alert.severity in SEVERITIES and SEVERITIES.index(alert.severity) >= SEVERITIES.index(
        policy.min_severity
    ):
        return True
    if alert.label == "harassment" and alert.harassment_type in policy.harassment_types:
        return True
    return alert.kind in policy.kinds


def _hm(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours), int(minutes))


def _at(day: dt.date, moment: dt.time, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """``day`` at local time ``moment``, in UTC (a time skipped by DST maps forward)."""
    return dt.datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def in_quiet_hours(quiet: QuietHours | None, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """True when ``now`` falls in the quiet hours (which may span midnight), in ``zone``."""
    if quiet is None:
        return False
    local = now.astimezone(zone).time().replace(tzinfo=None)
    start, end = _hm(quiet.start), _hm(quiet.end)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_end(quiet: QuietHours, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The next end of quiet hours after ``now`` (UTC)."""
    local = now.astimezone(zone)
    candidate = _at(local.date(), _hm(quiet.end), zone)
    if candidate <= now:
        candidate = _at(local.date() + dt.timedelta(days=1), _hm(quiet.end), zone)
    return candidate


def next_digest(schedule: DigestSchedule, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The next scheduled digest strictly after ``now`` (UTC)."""
    local = now.astimezone(zone)
    if schedule.every == "hourly":
        top = local.replace(minute=0, second=0, microsecond=0).astimezone(UTC)
        return top + dt.timedelta(hours=1)
    candidate = _at(local.date(), _hm(schedule.at), zone)
    if candidate <= now:
        candidate = _at(local.date() + dt.timedelta(days=1), _hm(schedule.at), zone)
    return candidate


def outside_quiet_hours(
    quiet: QuietHours | None, moment: dt.datetime, zone: zoneinfo.ZoneInfo
) -> dt.datetime:
    """``moment``, or the end of the quiet hours it falls in."""
    if in_quiet_hours(quiet, moment, zone):
        return quiet_end(quiet, moment, zone)
    return moment


def route(
    recipient: Recipient, alert: IncomingAlert, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> Route:
    """Where ``alert`` goes for ``recipient`` at ``now`` (see the module rules)."""
    if is_immediate(recipient.immediate, alert):
        if alert.severity != "critical" and in_quiet_hours(recipient.quiet_hours, now, zone):
            return Route(HELD, quiet_end(recipient.quiet_hours, now, zone))
        return Route(IMMEDIATE)
    due = next_digest(recipient.digest, now, zone)
    return Route(DIGEST, outside_quiet_hours(recipient.quiet_hours, due, zone))
