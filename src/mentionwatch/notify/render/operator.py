"""Notices for the operator: a notification dead-lettered, alerts nobody was told about in time.

They name ids, kinds, recipients and states, never any alert text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from string import Template
from typing import Any

from mentionwatch.ids import sha256_hex
from mentionwatch.notify.notification import Notification
from mentionwatch.notify.render.wording import escape, highest_severity
from mentionwatch.timeutil import iso_z

OPERATOR_TEXT = Template(
    """A notification could not be delivered and was kept as a dead letter.

  recipient  $recipient
  channel    $channel
  kind       $kind
  reference  $ref
  attempts   $attempts
  error      $error

It is kept in the store (table notify_dead_letters, id $letter_id). Fix the
cause, then redeliver with:  mentionwatch notify CONFIG --retry-dead-letters
"""
)


def render_operator_notice(
    *,
    letter_id: int,
    ref: str,
    recipient: str,
    channel: str,
    kind: str,
    attempts: int,
    error: str,
    now: dt.datetime,
) -> Notification:
    """Tells the operator about a dead letter; never includes alert text."""
    text = OPERATOR_TEXT.substitute(
        recipient=recipient or "-",
        channel=channel or "-",
        kind=kind,
        ref=ref,
        attempts=attempts,
        error=error,
        letter_id=letter_id,
    )
    return Notification(
        id=f"dl_{letter_id}",
        kind="operator",
        recipient="operator",
        severity="high",
        title=(
            f"[mentionwatch] {kind} notification to {recipient or '?'} "
            f"via {channel or '?'} dead-lettered"
        ),
        text=text,
        html=f"<!doctype html><html><body><pre>{escape(text)}</pre></body></html>",
        items=(
            {
                "ref": ref,
                "recipient": recipient,
                "channel": channel,
                "kind": kind,
                "attempts": attempts,
                "error": error,
            },
        ),
        created_at=iso_z(now),
    )


OVERDUE_TEXT = Template(
    """$count alert(s) were published more than $minutes minute(s) ago and nobody has been told yet.

$lines

Nothing is lost: they are in the store. See where each one stands with
  mentionwatch alerts status CONFIG
and check that a notify service (or watch) is running and its channels work.
"""
)


def _overdue_line(alert: Any) -> str:
    kind = alert.label + (f"/{alert.harassment_type}" if alert.harassment_type else "")
    return f"  {alert.alert_id}  {alert.severity:<8} {kind}  {alert.subject}  {alert.state}"


def render_overdue_notice(
    alerts: Sequence[Any], *, after_s: float, now: dt.datetime
) -> Notification:
    """Tells the operator about alerts not delivered in time: ids, kinds and states, never text.

    Args:
      alerts: ``notify.delivery.AlertDelivery`` records of the overdue alerts.
      after_s: how long after publication an alert counts as overdue.
      now: when the notice is made.
    """
    minutes = max(1, round(after_s / 60))
    text = OVERDUE_TEXT.substitute(
        count=len(alerts), minutes=minutes, lines="\n".join(_overdue_line(a) for a in alerts)
    )
    ids = "\0".join(sorted(a.alert_id for a in alerts)).encode("utf-8")
    return Notification(
        id="od_" + sha256_hex(ids)[:24],
        kind="operator",
        recipient="operator",
        severity=highest_severity(alerts, default="high"),
        title=f"[mentionwatch] {len(alerts)} alert(s) not delivered after {minutes} min",
        text=text,
        html=f"<!doctype html><html><body><pre>{escape(text)}</pre></body></html>",
        items=tuple(
            {
                "alert_id": a.alert_id,
                "subject": a.subject,
                "label": a.label,
                "severity": a.severity,
                "state": a.state,
            }
            for a in alerts
        ),
        created_at=iso_z(now),
    )
