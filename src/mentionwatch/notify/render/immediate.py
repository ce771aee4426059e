"""The message for one alert that cannot wait: a headline, the facts, the text masked, what next.

The facts come first (what, which of her works for a re-promotion, how
severe, where, when, the text or its content warning, the link, the alert
id), then "What you can do" (``next_steps.alert_steps``): the safety line,
whether her helper was told, and the commands that keep the evidence or
draft a request.
"""

from __future__ import annotations

import datetime as dt
from string import Template

from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Notification, Reader
from mentionwatch.notify.render.masking import facts, masked, shows_text
from mentionwatch.notify.render.next_steps import (
    alert_steps,
    known_work,
    steps_html,
    steps_text,
    words_for,
)
from mentionwatch.notify.render.wording import (
    escape,
    footer,
    headline,
    indent,
    kind_label,
    link_html,
    local_time,
    preposition,
    shown_link,
    what,
)
from mentionwatch.timeutil import iso_z

IMMEDIATE_TEXT = Template(
    """$headline.

  what      $what$work
  severity  $severity
  where     $where
  when      $when
  text      $text
  link      $link$related
  alert     $alert_id

$heading
$steps

$footer
"""
)

IMMEDIATE_HTML = Template(
    """<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.4">
<p><strong>$headline.</strong></p>
<table cellpadding="3" style="border-collapse: collapse">
<tr><td>what</td><td>$what</td></tr>$work
<tr><td>severity</td><td>$severity</td></tr>
<tr><td>where</td><td>$where</td></tr>
<tr><td>when</td><td>$when</td></tr>
<tr><td>text</td><td>$text</td></tr>
<tr><td>link</td><td>$link$related</td></tr>
<tr><td>alert</td><td>$alert_id</td></tr>
</table>
<p><strong>$heading</strong></p>
<ul>$steps</ul>
<p style="color: #555">$footer</p>
</body></html>
"""
)


def _body_text(alert: IncomingAlert) -> str:
    """The title (unless the excerpt repeats it) and the excerpt, as one quote."""
    title = alert.title if alert.title and alert.title not in alert.excerpt else ""
    return " ".join(t for t in (title, alert.excerpt) if t)


def render_immediate(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> Notification:
    """One message for one alert that cannot wait, with what to do next."""
    show = shows_text(alert, reader)
    where = (
        f"{alert.source} ({alert.where})"
        if alert.source and alert.source != alert.where
        else alert.where
    )
    head = headline(alert, reader, now)
    others = [u for u in alert.related_urls if u != alert.url]
    body_text = _body_text(alert)
    work = known_work(alert, reader)
    label = words_for(reader, alert.subject)["work_row"]
    steps = alert_steps(alert, reader, now)
    heading = words_for(reader, alert.subject)["heading"]
    text = IMMEDIATE_TEXT.substitute(
        headline=head,
        what=kind_label(alert) + (f", {alert.count} posts" if alert.count > 1 else ""),
        work=f"\n  {label:<9} {work}" if work else "",
        severity=alert.severity,
        where=where,
        when=local_time(alert.when, reader.zone),
        text=indent(f"\u201c{body_text}\u201d", " " * 12) if show else masked(alert),
        link=shown_link(alert.url, show),
        related="".join(f"\n            {shown_link(u, show)}" for u in others),
        alert_id=alert.alert_id,
        heading=heading,
        steps=steps_text(steps),
        footer=footer(reader),
    )
    page = IMMEDIATE_HTML.substitute(
        headline=escape(head),
        what=escape(kind_label(alert)),
        work=f"\n<tr><td>{escape(label)}</td><td>{escape(work)}</td></tr>" if work else "",
        severity=escape(alert.severity),
        where=escape(where),
        when=escape(local_time(alert.when, reader.zone)),
        text=f"<blockquote>{escape(body_text)}</blockquote>"
        if show
        else f"<em>{escape(masked(alert))}</em>",
        link=link_html(alert.url, show),
        related="".join(f"<br>{link_html(u, show)}" for u in others),
        alert_id=escape(alert.alert_id),
        heading=escape(heading),
        steps=steps_html(steps),
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
