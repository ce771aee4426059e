"""The digest: everything that waited for one recipient, in one calm message.

Harassment is listed, most severe first; re-promotions are grouped by site,
then by title, and counted, with hidden titles numbered so the reader sees the
pattern without reading the words, and each group names the known work it
pushes ("your 2019 “Summer Shoot”"). Every entry carries its date
and time and its alert id (the commands at the end take it); links show only
the site unless the reader sees full text. "What you can do" closes it
(``next_steps.digest_steps``).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
from collections.abc import Sequence
from string import Template

from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Notification, Reader
from mentionwatch.notify.render.masking import facts, masked, shows_text
from mentionwatch.notify.render.next_steps import (
    digest_steps,
    known_work,
    steps_html,
    steps_text,
    words_for,
)
from mentionwatch.notify.render.wording import (
    date_time,
    escape,
    footer,
    highest_severity,
    indent,
    link_html,
    local_time,
    shown_link,
    what,
)
from mentionwatch.records import SEVERITIES
from mentionwatch.timeutil import iso_z

DIGEST_TEXT = Template(
    """$summary

$sections
$heading
$steps

$footer
"""
)

DIGEST_HTML = Template(
    """<!doctype html>
<html><body style="font-family: sans-serif; line-height: 1.4">
<p><strong>$summary</strong></p>
$sections
<p><strong>$heading</strong></p>
<ul>$steps</ul>
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


def _harassment_lines(entries: Sequence[Queued], reader: Reader) -> tuple[list[str], list[str]]:
    """Harassment, most severe first: what, where, date and time, the text or its warning, id."""
    text, page = [], []
    for entry in sorted(entries, key=_sort_key):
        alert = entry.alert
        show = shows_text(alert, reader)
        held = " (held during quiet hours)" if entry.reason == "quiet_hours" else ""
        line = f"{what(alert)} on {alert.where}, {date_time(alert.when, reader.zone)}{held}"
        shown = f"\u201c{alert.excerpt}\u201d" if show else "text " + masked(alert)
        links = [alert.url] + [u for u in alert.related_urls if u != alert.url]
        text.append(f"  - {alert.severity:<9} {line}")
        text.append("              " + indent(shown, " " * 14))
        text.extend(f"              {shown_link(u, show)}" for u in links if u)
        text.append(f"              alert {alert.alert_id}")
        page.append(
            f"<li><strong>{escape(alert.severity)}</strong> {escape(line)}<br>"
            + (f"<blockquote>{escape(shown)}</blockquote>" if show else f"<em>{escape(shown)}</em>")
            + "".join(f"<br>{link_html(u, show)}" for u in links if u)
            + f"<br>alert {escape(alert.alert_id)}</li>"
        )
    return text, page


def _posts(group: Sequence[IncomingAlert], reader: Reader, show: bool) -> list[tuple[str, str]]:
    """One (date and alert id, link) pair per post of a title group, oldest first."""
    out = []
    when = dt.datetime.min.replace(tzinfo=dt.UTC)
    for alert in sorted(group, key=lambda a: (a.when or when, a.alert_id)):
        stamp = f"{date_time(alert.when, reader.zone)}  {alert.alert_id}"
        urls = list(dict.fromkeys(u for u in (alert.url, *alert.related_urls) if u)) or [""]
        out.extend((stamp, shown_link(u, show)) for u in urls)
    return out


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
            f"<li><strong>{escape(site)}</strong>: {total} post{'s' if total != 1 else ''}<ul>"
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
            works = list(dict.fromkeys(w for w in (known_work(a, reader) for a in group) if w))
            name += "".join(f", {w}" for w in works)
            posts = _posts(group, reader, show)
            text.append(f"    {count} \u00d7 {name}")
            text.extend(f"        {stamp}  {link}" for stamp, link in posts)
            page.append(
                f"<li>{count} &times; {escape(name)}"
                + "".join(f"<br>{escape(stamp)} {escape(link)}" for stamp, link in posts)
                + "</li>"
            )
        page.append("</ul></li>")
    return text, page


def _sections(
    entries: Sequence[Queued], subjects: Sequence[str], reader: Reader
) -> tuple[list[str], list[str]]:
    """The digest's body, text and HTML: per subject, harassment then re-promotions."""
    text_sections, html_sections = [], []
    for subject in subjects:
        mine = [e for e in entries if e.alert.subject == subject]
        if len(subjects) > 1:
            text_sections.append(f"{subject}: {_counts([e.alert for e in mine])}")
            html_sections.append(f"<h2>{escape(subject)}</h2>")
        harassment = [e for e in mine if e.alert.label != "re_promotion"]
        promos = [e for e in mine if e.alert.label == "re_promotion"]
        if harassment:
            lines, items = _harassment_lines(harassment, reader)
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
    return text_sections, html_sections


def render_digest(
    digest_id: str,
    entries: Sequence[Queued],
    reader: Reader,
    now: dt.datetime,
    since: dt.datetime | None,
) -> Notification:
    """One message for everything that waited: harassment listed, re-promotions grouped.

    ``since`` (the previous digest's time, if any) is named in the summary.
    """
    alerts = [e.alert for e in entries]
    subjects = sorted({a.subject for a in alerts})
    zone_name = str(reader.zone.key) if hasattr(reader.zone, "key") else str(reader.zone)
    window = f"since the last digest ({local_time(since, reader.zone)})" if since else ""
    summary = (
        f"Digest for {', '.join(subjects)}: {_counts(alerts)} {window}".rstrip()
        + f" (times in {zone_name})."
    )
    text_sections, html_sections = _sections(entries, subjects, reader)
    closing = footer(reader)
    steps = digest_steps(alerts, reader)
    heading = words_for(reader, subjects[0])["heading"] if subjects else ""
    return Notification(
        id=digest_id,
        kind="digest",
        recipient=reader.name,
        severity=highest_severity(alerts),
        title=f"[mentionwatch] digest for {', '.join(subjects)}: {_counts(alerts)}",
        text=DIGEST_TEXT.substitute(
            summary=summary,
            sections="\n".join(text_sections),
            heading=heading,
            steps=steps_text(steps),
            footer=closing,
        ),
        html=DIGEST_HTML.substitute(
            summary=escape(summary),
            sections="\n".join(html_sections),
            heading=escape(heading),
            steps=steps_html(steps),
            footer=escape(closing).replace("\n", "<br>"),
        ),
        items=tuple(facts(a, reader) for a in alerts),
        created_at=iso_z(now),
    )
