"""What a notification says: calm, factual, abusive text masked by default.

Every message answers the same questions: what kind of mention, where (the
site), when (in the recipient's time zone), about whom, how severe, and a link
to view it. The abusive words themselves are replaced by a content warning
("text hidden: threat, 212 characters") unless the recipient opted in with
``full_text: true``; re-promotion titles and excerpts are hidden the same way,
because they advertise her old content.

Templates are ``string.Template`` strings (plain text and HTML); every value
placed in the HTML is escaped. Rendering is pure: the same alerts, recipient
and time give the same message.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import html
import textwrap
import zoneinfo
from collections.abc import Mapping, Sequence
from string import Template
from typing import Any

from mentionwatch.ids import sha256_hex
from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.records import SEVERITIES
from mentionwatch.timeutil import iso_z


@dataclasses.dataclass(frozen=True)
class Notification:
    """One message to one recipient, ready for any channel.

    Attributes:
      id: the alert id (immediate), digest id, or operator notice id.
      kind: ``immediate``, ``digest`` or ``operator``.
      recipient: the recipient's name (``operator`` for operator notices).
      severity: the highest severity inside.
      title: one line: the email subject, the chat headline.
      text: the plain-text body.
      html: the HTML body (email).
      items: one mapping per alert for structured payloads (webhooks), with
        ``excerpt``/``title`` set only when the recipient sees full text.
      created_at: ISO-8601 UTC time it was rendered.
    """

    id: str
    kind: str
    recipient: str
    severity: str
    title: str
    text: str = dataclasses.field(repr=False)
    html: str = dataclasses.field(repr=False)
    items: tuple[Mapping[str, Any], ...] = dataclasses.field(default=(), repr=False)
    created_at: str = ""


@dataclasses.dataclass(frozen=True)
class Reader:
    """Who reads a notification, as rendering needs it."""

    name: str
    role: str
    full_text: bool
    zone: zoneinfo.ZoneInfo
    subjects: tuple[str, ...] = ()


# --------------------------------------------------------------------------- wording

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
    return (
        alert.label
        + (f": {alert.harassment_type}" if alert.harassment_type else "")
        + (f" ({alert.kind})" if alert.kind not in ("mention", "") else "")
    )


def _preposition(alert: IncomingAlert) -> str:
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


def shows_text(alert: IncomingAlert, reader: Reader) -> bool:
    return reader.full_text or not alert.hidden


def masked(alert: IncomingAlert) -> str:
    """The content warning that stands in for the text."""
    kind = alert.harassment_type or alert.label.replace("_", "-")
    return f"hidden (content warning: {kind}, {len(alert.excerpt)} characters)"


def headline(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> str:
    """``A threat on forum.example, 14:02, against Dana Reyes``."""
    noun = what(alert)
    return f"{noun[0].upper()}{noun[1:]} on {alert.where}, {short_time(alert.when, reader.zone, now)}, {_preposition(alert)} {alert.subject}"


def facts(alert: IncomingAlert, reader: Reader) -> dict[str, Any]:
    """The structured form of one alert for webhooks: masked unless the reader sees full text."""
    show = shows_text(alert, reader)
    return {
        "alert_id": alert.alert_id,
        "subject": alert.subject,
        "label": alert.label,
        "harassment_type": alert.harassment_type,
        "kind": alert.kind,
        "severity": alert.severity,
        "count": alert.count,
        "what": what(alert),
        "where": alert.where,
        "source": alert.source,
        "url": alert.url,
        "related_urls": list(alert.related_urls),
        "published_at": alert.published_at,
        "local_time": local_time(alert.when, reader.zone),
        "text_hidden": not show,
        "title": alert.title if show else None,
        "excerpt": alert.excerpt if show else None,
        "evidence_ref": alert.evidence_ref,
    }


def _footer(reader: Reader) -> str:
    if reader.role == "helper":
        whom = ", ".join(reader.subjects) if reader.subjects else "the people you help"
        lines = [f"You receive this as a helper for {whom}."]
    else:
        lines = []
    if not reader.full_text:
        lines.append("Abusive text is hidden; the link shows the original when you choose to look.")
    lines.append("Sent by mentionwatch.")
    return "\n".join(lines)


def _indent(text: str, prefix: str, width: int = 76) -> str:
    wrapped = textwrap.fill(text, width=width - len(prefix)) if text else ""
    return textwrap.indent(wrapped, prefix).lstrip() if wrapped else ""


def _esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _link_html(url: str) -> str:
    return f'<a href="{_esc(url)}">{_esc(url)}</a>' if url else "(no link)"


def _highest(alerts: Sequence[IncomingAlert]) -> str:
    return max(
        (a.severity for a in alerts),
        key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0,
        default="none",
    )


# --------------------------------------------------------------------------- immediate

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
    text = IMMEDIATE_TEXT.substitute(
        headline=head,
        what=kind_label(alert) + (f", {alert.count} posts" if alert.count > 1 else ""),
        severity=alert.severity,
        where=where,
        when=local_time(alert.when, reader.zone),
        text=_indent(f"\u201c{body_text}\u201d", " " * 12)
        if show
        else f"{masked(alert)}; the link opens it",
        link=alert.url or "(no link)",
        related="".join(f"\n            {u}" for u in others),
        alert_id=alert.alert_id,
        evidence=f" (evidence sha256:{alert.evidence_ref})" if alert.evidence_ref else "",
        footer=_footer(reader),
    )
    page = IMMEDIATE_HTML.substitute(
        headline=_esc(head),
        what=_esc(kind_label(alert)),
        severity=_esc(alert.severity),
        where=_esc(where),
        when=_esc(local_time(alert.when, reader.zone)),
        text=f"<blockquote>{_esc(body_text)}</blockquote>"
        if show
        else f"<em>{_esc(masked(alert))}</em>",
        link=_link_html(alert.url),
        related="".join(f"<br>{_link_html(u)}" for u in others),
        alert_id=_esc(alert.alert_id),
        evidence=_esc(f" (evidence sha256:{alert.evidence_ref})" if alert.evidence_ref else ""),
        footer=_esc(_footer(reader)).replace("\n", "<br>"),
    )
    title = f"[mentionwatch] {alert.severity}: {what(alert)} {_preposition(alert)} {alert.subject} on {alert.where}"
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


# --------------------------------------------------------------------------- digest

DIGEST_TEXT = Template(
    """$summary

$sections
$footer
"""
)

DIGEST_HTML = Template(
    """<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.4">
<p><strong>$summary</strong></p>
$sections
<p style="color: #555">$footer</p>
</body></html>
"""
)


@dataclasses.dataclass(frozen=True)
class Queued:
    """A digest entry: the alert, and why it waited (``digest`` or ``quiet_hours``)."""

    alert: IncomingAlert
    reason: str = "digest"


def _counts(alerts: Sequence[IncomingAlert]) -> str:
    harassment = sum(a.count for a in alerts if a.label == "harassment")
    promos = sum(a.count for a in alerts if a.label == "re_promotion")
    parts = []
    if harassment:
        parts.append(f"{harassment} harassment")
    if promos:
        parts.append(f"{promos} re-promotion{'s' if promos != 1 else ''}")
    other = sum(a.count for a in alerts if a.label not in ("harassment", "re_promotion"))
    if other:
        parts.append(f"{other} other")
    return ", ".join(parts) or "nothing"


def _sort_key(entry: Queued) -> tuple:
    alert = entry.alert
    rank = SEVERITIES.index(alert.severity) if alert.severity in SEVERITIES else 0
    when = alert.when or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (-rank, when, alert.alert_id)


def _harassment_lines(
    entries: Sequence[Queued], reader: Reader, now: dt.datetime
) -> tuple[list[str], list[str]]:
    text, page = [], []
    for entry in sorted(entries, key=_sort_key):
        alert = entry.alert
        held = " (held during quiet hours)" if entry.reason == "quiet_hours" else ""
        line = f"{what(alert)} on {alert.where}, {short_time(alert.when, reader.zone, now)}{held}"
        shown = (
            f"\u201c{alert.excerpt}\u201d" if shows_text(alert, reader) else "text " + masked(alert)
        )
        links = [alert.url] + [u for u in alert.related_urls if u != alert.url]
        text.append(f"  - {alert.severity:<9} {line}")
        text.append("              " + _indent(shown, " " * 14))
        text.extend(f"              {u}" for u in links if u)
        page.append(
            f"<li><strong>{_esc(alert.severity)}</strong> {_esc(line)}<br>"
            + (
                f"<blockquote>{_esc(shown)}</blockquote>"
                if shows_text(alert, reader)
                else f"<em>{_esc(shown)}</em>"
            )
            + "".join(f"<br>{_link_html(u)}" for u in links if u)
            + "</li>"
        )
    return text, page


def _promotion_lines(entries: Sequence[Queued], reader: Reader) -> tuple[list[str], list[str]]:
    """Re-promotions grouped by site, then by title, counted; titles hidden unless full text.

    A hidden title gets a number that is the same on every site ("title 2
    (hidden)" on two sites is the same title), so the reader sees the
    pattern without reading the words.
    """
    by_site: dict[str, dict[str, list[IncomingAlert]]] = collections.defaultdict(
        lambda: collections.defaultdict(list)
    )
    totals: collections.Counter[str] = collections.Counter()
    for entry in entries:
        by_site[entry.alert.where][entry.alert.title].append(entry.alert)
        totals[entry.alert.title] += entry.alert.count
    ranked_titles = sorted((kv for kv in totals.items() if kv[0]), key=lambda kv: (-kv[1], kv[0]))
    numbers = {title: n for n, (title, _) in enumerate(ranked_titles, 1)}
    text, page = [], []
    order = sorted(
        by_site.items(), key=lambda kv: (-sum(a.count for t in kv[1].values() for a in t), kv[0])
    )
    for site, titles in order:
        total = sum(a.count for group in titles.values() for a in group)
        text.append(f"  {site}: {total} post{'s' if total != 1 else ''}")
        page.append(
            f"<li><strong>{_esc(site)}</strong>: {total} post{'s' if total != 1 else ''}<ul>"
        )
        ranked = sorted(titles.items(), key=lambda kv: (-sum(a.count for a in kv[1]), kv[0]))
        for title, group in ranked:
            count = sum(a.count for a in group)
            show = all(shows_text(a, reader) for a in group)
            name = (
                f"\u201c{title}\u201d"
                if show and title
                else f"title {numbers[title]} (hidden)"
                if title
                else "untitled"
            )
            links = list(dict.fromkeys(u for a in group for u in (a.url, *a.related_urls) if u))
            text.append(f"    {count} \u00d7 {name}")
            text.extend(f"        {u}" for u in links)
            page.append(
                f"<li>{count} &times; {_esc(name)}"
                + "".join(f"<br>{_link_html(u)}" for u in links)
                + "</li>"
            )
        page.append("</ul></li>")
    return text, page


def render_digest(
    digest_id: str,
    entries: Sequence[Queued],
    reader: Reader,
    now: dt.datetime,
    since: dt.datetime | None,
) -> Notification:
    """One message for everything that waited: harassment listed, re-promotions grouped and counted."""
    alerts = [e.alert for e in entries]
    subjects = sorted({a.subject for a in alerts})
    zone_name = str(reader.zone.key) if hasattr(reader.zone, "key") else str(reader.zone)
    window = f"since the last digest ({local_time(since, reader.zone)})" if since else ""
    summary = (
        f"Digest for {', '.join(subjects)}: {_counts(alerts)} {window}".rstrip()
        + f" (times in {zone_name})."
    )
    text_sections, html_sections = [], []
    for subject in subjects:
        mine = [e for e in entries if e.alert.subject == subject]
        if len(subjects) > 1:
            text_sections.append(f"{subject}: {_counts([e.alert for e in mine])}")
            html_sections.append(f"<h2>{_esc(subject)}</h2>")
        harassment = [e for e in mine if e.alert.label != "re_promotion"]
        promos = [e for e in mine if e.alert.label == "re_promotion"]
        if harassment:
            lines, items = _harassment_lines(harassment, reader, now)
            count = sum(e.alert.count for e in harassment)
            text_sections += [f"Harassment ({count})", *lines, ""]
            html_sections.append(f"<h3>Harassment ({count})</h3><ul>{''.join(items)}</ul>")
        if promos:
            lines, items = _promotion_lines(promos, reader)
            count = sum(e.alert.count for e in promos)
            text_sections += [f"Re-promotion of old content ({count})", *lines, ""]
            html_sections.append(
                f"<h3>Re-promotion of old content ({count})</h3><ul>{''.join(items)}</ul>"
            )
    footer = _footer(reader)
    title = f"[mentionwatch] digest for {', '.join(subjects)}: {_counts(alerts)}"
    return Notification(
        id=digest_id,
        kind="digest",
        recipient=reader.name,
        severity=_highest(alerts),
        title=title,
        text=DIGEST_TEXT.substitute(
            summary=summary, sections="\n".join(text_sections), footer=footer
        ),
        html=DIGEST_HTML.substitute(
            summary=_esc(summary),
            sections="\n".join(html_sections),
            footer=_esc(footer).replace("\n", "<br>"),
        ),
        items=tuple(facts(a, reader) for a in alerts),
        created_at=iso_z(now),
    )


# --------------------------------------------------------------------------- operator

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
        title=f"[mentionwatch] {kind} notification to {recipient or '?'} via {channel or '?'} dead-lettered",
        text=text,
        html=f"<!doctype html><html><body><pre>{_esc(text)}</pre></body></html>",
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


def render_overdue_notice(
    alerts: Sequence[Any], *, after_s: float, now: dt.datetime
) -> Notification:
    """Tells the operator about alerts not delivered in time; ids, kinds and states only, never text."""
    lines = "\n".join(
        f"  {a.alert_id}  {a.severity:<8} {a.label}{'/' + a.harassment_type if a.harassment_type else ''}"
        f"  {a.subject}  {a.state}"
        for a in alerts
    )
    text = OVERDUE_TEXT.substitute(
        count=len(alerts), minutes=max(1, round(after_s / 60)), lines=lines
    )
    worst = max(
        (a.severity for a in alerts),
        key=lambda s: SEVERITIES.index(s) if s in SEVERITIES else 0,
        default="high",
    )
    return Notification(
        id="od_" + sha256_hex("\0".join(sorted(a.alert_id for a in alerts)).encode("utf-8"))[:24],
        kind="operator",
        recipient="operator",
        severity=worst,
        title=f"[mentionwatch] {len(alerts)} alert(s) not delivered after {max(1, round(after_s / 60))} min",
        text=text,
        html=f"<!doctype html><html><body><pre>{_esc(text)}</pre></body></html>",
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
