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
from mentionwatch.store.derive import domain_of

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


def date_time(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    """``Mon 2 Mar 2026 14:02``, always with the date (digests span days); ``time unknown``."""
    if moment is None:
        return "time unknown"
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y} {local:%H:%M}"


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
        lines += [
            "Abusive text is hidden, and links show only the site, because an address",
            "can spell out what is hidden. The evidence export has the full address.",
        ]
    lines.append("Sent by mentionwatch.")
    return "\n".join(lines)


def indent(text: str, prefix: str, width: int = 76) -> str:
    """``text`` wrapped to ``width`` with continuation lines indented by ``prefix``."""
    wrapped = textwrap.fill(text, width=width - len(prefix)) if text else ""
    return textwrap.indent(wrapped, prefix).lstrip() if wrapped else ""


def escape(value: Any) -> str:
    """``value`` as text safe inside HTML, quotes included."""
    return html.escape(str(value), quote=True)


def shown_link(url: str, full: bool) -> str:
    """``url`` itself when ``full``, else only its site: ``clipvault.example/…``.

    A link's path can spell out a hidden title ("/dana-reyes-hotel-room-tape"),
    so a reader who sees the text masked sees the site only.
    """
    if not url:
        return "(no link)"
    if full:
        return url
    site = domain_of(url)
    return f"{site}/\u2026" if site else "(link hidden)"


def link_html(url: str, full: bool = True) -> str:
    """An escaped HTML link showing its own address; only the site, as text, unless ``full``.

    A masked link is not a link at all: its address would show on hover.
    """
    if not url or not full:
        return escape(shown_link(url, full))
    return f'<a href="{escape(url)}">{escape(url)}</a>'


def highest_severity(alerts: Sequence[Any], default: str = "none") -> str:
    """The highest severity among ``alerts`` (unknown ones rank lowest); ``default`` if none."""
    return max(
        (a.severity for a in alerts),
        key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0,
        default=default,
    )
