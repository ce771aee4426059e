"""The words and times every notification shares: what happened, where, when, for whom.

Nothing here quotes an alert's text; ``masking`` decides what of it a reader
sees.
"""

from __future__ import annotations

import datetime as dt
import html
import textwrap
import zoneinfo
from collections.abc import Sequence
from typing import Any

from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Reader
from mentionwatch.records import SEVERITIES

_ONE = {
    "threat": "a threat",
    "doxxing": "doxxing (personal information posted)",
    "incitement": "incitement (a call for others to join in)",
    "sexual_harassment": "sexual harassment",
    "identity_attack": "an identity-based attack",
    "insult": "an insult",
}
_MANY = {
    "threat": "threats",
    "doxxing": "doxxing posts",
    "incitement": "posts inciting others",
    "sexual_harassment": "sexually harassing posts",
    "identity_attack": "identity-based attacks",
    "insult": "insults",
}


def what(alert: IncomingAlert) -> str:
    """What happened, in a few words, never quoting the content."""
    if alert.kind == "pile_on":
        return f"a pile-on ({alert.count} harassing posts in a short time)"
    if alert.label == "re_promotion":
        return (
            f"{alert.count} re-promotions of old content"
            if alert.count > 1
            else "a re-promotion of old content"
        )
    key = alert.harassment_type or ""
    if alert.count > 1:
        return f"{alert.count} {_MANY.get(key, 'harassing posts')}"
    return _ONE.get(key, "harassment")


def kind_label(alert: IncomingAlert) -> str:
    """``harassment: threat``, with `` (burst)``-style kind unless a plain mention."""
    return (
        alert.label
        + (f": {alert.harassment_type}" if alert.harassment_type else "")
        + (f" ({alert.kind})" if alert.kind not in ("mention", "") else "")
    )


def preposition(alert: IncomingAlert) -> str:
    """``about`` for re-promotions of her content, ``against`` for harassment."""
    return "about" if alert.label == "re_promotion" else "against"


def local_time(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """``Tue 3 Mar 2026, 14:02 CET``; ``time unknown`` without one."""
    if moment is None:
        return "time unknown"
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M %Z}"


def short_time(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo, now: dt.datetime) -> str:
    """``14:02`` on the recipient's today, ``Mon 2 Mar 14:02`` otherwise."""
    if moment is None:
        return "time unknown"
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def headline(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> str:
    """``A threat on forum.example, 14:02, against Dana Reyes``."""
    noun = what(alert)
    noun = noun[0].upper() + noun[1:]
    when = short_time(alert.when, reader.zone, now)
    return f"{noun} on {alert.where}, {when}, {preposition(alert)} {alert.subject}"


def footer(reader: Reader) -> str:
    """The closing lines: whom a helper helps, that text is hidden, who sent it."""
    if reader.role == "helper":
        whom = ", ".join(reader.subjects) if reader.subjects else "the people you help"
        lines = [f"You receive this as a helper for {whom}."]
    else:
        lines = []
    if not reader.full_text:
        lines.append("Abusive text is hidden; the link shows the original when you choose to look.")
    lines.append("Sent by mentionwatch.")
    return "\n".join(lines)


def indent(text: str, prefix: str, width: int = 76) -> str:
    """``text`` wrapped to ``width`` with continuation lines indented by ``prefix``."""
    wrapped = textwrap.fill(text, width=width - len(prefix)) if text else ""
    return textwrap.indent(wrapped, prefix).lstrip() if wrapped else ""


def escape(value: Any) -> str:
    """``value`` as text safe inside HTML, quotes included."""
    return html.escape(str(value), quote=True)


def link_html(url: str) -> str:
    """An escaped HTML link showing its own address; ``(no link)`` without one."""
    return f'<a href="{escape(url)}">{escape(url)}</a>' if url else "(no link)"


def highest_severity(alerts: Sequence[Any], default: str = "none") -> str:
    """The highest severity among ``alerts`` (unknown ones rank lowest); ``default`` if none."""
    return max(
        (a.severity for a in alerts),
        key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0,
        default=default,
    )
