"""The message for one alert that cannot wait: a headline, the facts, the text masked."""

from __future__ import annotations

import datetime as dt
from string import Template

from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Notification, Reader
from mentionwatch.notify.render.masking import facts, masked, shows_text
from mentionwatch.notify.render.wording import (
    escape,
    footer,
    headline,
    indent,
    kind_label,
    link_html,
    local_time,
    preposition,
    what,
)
from mentionwatch.timeutil import iso_z

IMMEDIATE_TEXT = Template(
    """$headline.

  what      $what
  severity  $severity
  where     $where
  when      $when
  text      $text
  link      $link$related
  alert     $alert_id$evidence

$footer
"""
)

IMMEDIATE_HTML = Template(
    """<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.4">
<p><strong>$headline.</strong></p>
<table cellpadding="3" style="border-collapse: collapse">
<tr><td>what</td><td>$what</td></tr>
<tr><td>severity</td><td>$severity</td></tr>
<tr><td>where</td><td>$where</td></tr>
<tr><td>when</td><td>$when</td></tr>
<tr><td>text</td><td>$text</td></tr>
<tr><td>link</td><td>$link$related</td></tr>
<tr><td>alert</td><td>$alert_id$evidence</td></tr>
</table>
<p style="color: #555">$footer</p>
</body></html>
"""
)


def render_immediate(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> Notification:
    """One message for one alert that cannot wait."""
    show = shows_text(alert, reader)
    where = (
        f"{alert.source} ({alert.where})"
        if alert.source and alert.source != alert.where
        else alert.where
    )
    head = headline(alert, reader, now)
    others = [u for u in alert.related_urls if u != alert.url]
    body_text = " ".join(
        t
        for t in (
            alert.title if alert.title and alert.title not in alert.excerpt else "",
            alert.excerpt,
        )
        if t
    )
    evidence = f" (evidence sha256:{alert.evidence_ref})" if alert.evidence_ref else ""
    text = IMMEDIATE_TEXT.substitute(
        headline=head,
        what=kind_label(alert) + (f", {alert.count} posts" if alert.count > 1 else ""),
        severity=alert.severity,
        where=where,
        when=local_time(alert.when, reader.zone),
        text=indent(f"\u201c{body_text}\u201d", " " * 12)
        if show
        else f"{masked(alert)}; the link opens it",
        link=alert.url or "(no link)",
        related="".join(f"\n            {u}" for u in others),
        alert_id=alert.alert_id,
        evidence=evidence,
        footer=footer(reader),
    )
    page = IMMEDIATE_HTML.substitute(
        headline=escape(head),
        what=escape(kind_label(alert)),
        severity=escape(alert.severity),
        where=escape(where),
        when=escape(local_time(alert.when, reader.zone)),
        text=f"<blockquote>{escape(body_text)}</blockquote>"
        if show
        else f"<em>{escape(masked(alert))}</em>",
        link=link_html(alert.url),
        related="".join(f"<br>{link_html(u)}" for u in others),
        alert_id=escape(alert.alert_id),
        evidence=escape(evidence),
        footer=escape(footer(reader)).replace("\n", "<br>"),
    )
    title = (
        f"[mentionwatch] {alert.severity}: {what(alert)} {preposition(alert)} "
        f"{alert.subject} on {alert.where}"
    )
    return Notification(
        id=alert.alert_id,
        kind="immediate",
        recipient=reader.name,
        severity=alert.severity,
        title=title,
        text=text,
        html=page,
        items=(facts(alert, reader),),
        created_at=iso_z(now),
    )
