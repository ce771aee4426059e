"""The report as one HTML page: inline CSS, charts as base64 PNG, no external resources.

No abusive text goes in: mentions are shown as what happened (label, type,
severity, score), where (source, domain, a link labelled with the domain),
when, and a masked description (``alerts.masking.mask``). Every value is
HTML-escaped.
"""

from __future__ import annotations

import base64
import collections
import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

from mentionwatch import __version__
from mentionwatch.alerts.masking import mask
from mentionwatch.history.timespec import iso

_CSS = (
    "\n"
    'body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;'
    "margin:2rem auto;max-width:1100px;color:#222;line-height:1.45;padding:0 1rem}\n"
    "h1{font-size:1.6rem;margin-bottom:.2rem}"
    "h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}\n"
    ".meta{color:#555}"
    ".note{background:#fdf6e3;border-left:4px solid #e6b800;padding:.6rem .9rem;margin:1rem 0}\n"
    ".cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:9rem}\n"
    ".card b{display:block;font-size:1.5rem}"
    "table{border-collapse:collapse;width:100%;margin:.6rem 0;font-size:.9rem}\n"
    "th,td{border-bottom:1px solid #e5e5e5;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f6f6f6}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}"
    "figure img{max-width:100%;border:1px solid #eee}\n"
    "figcaption{color:#555;font-size:.85rem}.sev-critical{color:#a00;font-weight:600}"
    ".sev-high{color:#c0392b}.muted{color:#777}\n"
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _when(moment: dt.datetime | None) -> str:
    text = iso(moment)
    return text.replace("T", " ").replace("Z", " UTC") if text else "—"


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    empty: str = "None.",
) -> str:
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    if not body:
        return f'<p class="muted">{_e(empty)}</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{_e(chart.alt)}">'
        f"<figcaption>{_e(chart.title)}. {_e(chart.alt)}</figcaption></figure>"
    )


def _link(url: str | None, domain: str | None) -> str:
    if not url or not url.lower().startswith(("http://", "https://")):
        return _e(domain or "—")
    # The link is labelled with the domain only: a URL's path can carry the abuse itself.
    return f'<a href="{_e(url)}" rel="noreferrer noopener">{_e(domain or "link")}</a>'


def _kind(label: str, harassment_type: str | None) -> str:
    name = {"re_promotion": "re-promotion"}.get(label, label)
    return f"{name}: {harassment_type}" if harassment_type else name


def render(report) -> str:
    """The whole report as one self-contained HTML page; every value is escaped."""
    charts = {c.name: c for c in report.charts}
    sections = [
        _header(report),
        f"<h2>Mention volume per day</h2>\n{_figure(charts['volume'])}",
        _harassment_types(report, charts["harassment-types"]),
        _repromoters(report, charts["re-promotion"]),
        _pile_ons(report, charts["harassment-timeline"]),
        _delivery(report),
        _top_mentions(report),
        _health(report),
    ]
    return "\n\n".join(sections)


def _header(report) -> str:
    """The head, the title, what the report shows and leaves out, and the summary cards."""
    w = report.window
    subjects = ", ".join(w.subjects) if w.subjects else "all subjects"
    period = f"{_e(_when(w.since))} to {_e(_when(w.until))}"
    cards = [
        ("mentions", sum(report.totals.values())),
        ("harassment", report.totals.get("harassment", 0)),
        ("re-promotion", report.totals.get("re_promotion", 0)),
        ("benign", report.totals.get("benign", 0)),
        ("alerts", sum(report.alerts.values())),
        ("alerts delivered", sum(a.state == "delivered" for a in report.delivery)),
        ("pile-on episodes", len(report.episodes)),
    ]
    card_html = "".join(f"<div class='card'><b>{n}</b>{_e(k)}</div>" for k, n in cards)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width,initial-scale=1">\n'
        f"<title>mentionwatch report: {_e(subjects)}, {period}</title>\n"
        f"<style>{_CSS}</style></head><body>\n"
        f"<h1>Mention report: {_e(subjects)}</h1>\n"
        f'<p class="meta">Period {period}. Generated {_e(_when(report.generated_at))}'
        f" by mentionwatch {_e(__version__)}.\n"
        "Counts use each mention's current classification and the time it happened"
        " (the source's published time, or when it was fetched).</p>\n"
        '<p class="note">This report shows no abusive text. Each mention is described by what'
        " it is, where and when it appeared, how severe it is, and a link.\n"
        "Text stays in the history store; an evidence pack"
        " (<code>mentionwatch evidence export</code>) holds the pages as fetched.</p>\n"
        f'<div class="cards">{card_html}</div>'
    )


def _harassment_types(report, chart) -> str:
    """Harassing mentions per type, most frequent first."""
    types = sorted(report.types.items(), key=lambda kv: -kv[1])
    table = _table(
        ["type", "mentions"],
        [(_e(t), str(n)) for t, n in types],
        numeric=[1],
        empty="No harassment in this period.",
    )
    return f"<h2>Harassment by type</h2>\n{_figure(chart)}\n{table}"


def _repromoters(report, chart) -> str:
    """The domains, sources and authors that re-promote, with counts and first/last times."""
    rows = [
        (_e(kind), _e(r["key"]), str(r["count"]), _e(_when(r["first"])), _e(_when(r["last"])))
        for kind, rows in (
            ("domain", report.domains),
            ("source", report.sources),
            ("author", report.authors),
        )
        for r in rows
    ]
    table = _table(
        ["by", "who", "mentions", "first", "last"],
        rows,
        numeric=[2],
        empty="No re-promotion in this period.",
    )
    return f"<h2>Who re-promotes</h2>\n{_figure(chart)}\n{table}"


def _pile_ons(report, chart) -> str:
    """What a pile-on episode is, the episodes of the period and the pile-on alerts sent."""
    p = report.pile_on
    episodes = [
        (
            _e(e.subject),
            _e(_when(e.start)),
            _e(_when(e.end)),
            str(e.peak),
            f"{e.threshold:.1f}",
            str(e.total),
        )
        for e in report.episodes
    ]
    alerts = [
        (
            _e(a["subject"]),
            _e(_when(a["created_at"])),
            str(a["count"]),
            _e(a["status"]),
            _e(a["alert_id"]),
        )
        for a in report.pile_on_alerts
    ]
    episode_table = _table(
        ["subject", "from", "to", "peak per window", "threshold", "harassing mentions"],
        episodes,
        numeric=[3, 4, 5],
        empty="No pile-on episodes in this period.",
    )
    alert_table = _table(
        ["subject", "when", "mentions", "status", "alert"],
        alerts,
        numeric=[2],
        empty="No pile-on alerts in this period.",
    )
    return (
        "<h2>Pile-on episodes</h2>\n"
        f'<p class="meta">An episode is a run of {_e(p.window_s // 60)}-minute windows in which'
        f" harassment of a subject reached at least {_e(p.min_count)}\n"
        f"and exceeded its mean over the previous {_e(p.baseline_days)} days by"
        f" {_e(p.sigmas)} standard deviations.</p>\n"
        f"{_figure(chart)}\n"
        f"{episode_table}\n"
        "<h3>Pile-on alerts sent</h3>\n"
        f"{alert_table}"
    )


def _delivery(report) -> str:
    """Where the period's alerts stand on their way to people, and those not delivered."""
    states = collections.Counter(a.state for a in report.delivery)
    undelivered = [
        (
            _e(_when(a.created_at)),
            _e(a.subject),
            _e(_kind(a.label, a.harassment_type)),
            f'<span class="sev-{_e(a.severity)}">{_e(a.severity)}</span>',
            _e(a.state),
            _e(a.summary()),
            _e(a.alert_id),
        )
        for a in report.delivery
        if a.state not in ("delivered", "local")
    ]
    counts = _e(", ".join(f"{n} {state}" for state, n in states.most_common()) or "no alerts")
    table = _table(
        ["when", "subject", "what", "severity", "state", "recipients and channels", "alert"],
        undelivered,
        empty="Every alert of the period reached someone.",
    )
    return (
        "<h2>Delivery to people</h2>\n"
        '<p class="meta">Where each alert of the period stands on its way to the people who'
        " receive it (the same states as\n"
        f"<code>mentionwatch alerts status</code>): {counts}.</p>\n"
        f"{table}"
    )


def _top_mentions(report) -> str:
    """The highest-severity mentions, masked: what, where, when, never the text."""
    rows = [
        (
            _e(_when(r["occurred_at"])),
            _e(r["subject"]),
            _e(_kind(r["label"], r["harassment_type"])),
            f'<span class="sev-{_e(r["severity"])}">{_e(r["severity"])}</span>',
            f"{r['score']:.2f}",
            _e(r["source"]),
            _link(r["url"], r["domain"]),
            _e(
                mask(
                    {
                        "label": r["label"],
                        "harassment_type": r["harassment_type"],
                        "excerpt": "x" * r["chars"],
                        "content_warning": True,
                    }
                )
            ),
            _e(r["alert_id"] or "—"),
            _e(r["model"]),
        )
        for r in report.top
    ]
    table = _table(
        [
            "when",
            "subject",
            "what",
            "severity",
            "score",
            "source",
            "where",
            "content",
            "alert",
            "model",
        ],
        rows,
        numeric=[4],
        empty="No harassment or re-promotion in this period.",
    )
    return f"<h2>Highest-severity mentions</h2>\n{table}"


def _health(report) -> str:
    """Each polled source's health, the period's dead letters, and the end of the page."""
    health = [
        (
            _e(h["name"]),
            _e(h["last_status"] if h["last_status"] is not None else "—"),
            _e(_when(h["last_success_at"])),
            str(h["consecutive_failures"]),
            str(h["errors_in_period"]),
            str(h["items_total"]),
            _e((h["last_error"] or "")[:160]),
        )
        for h in report.health
    ]
    letters = [
        (_e(d["stage"]), _e(d["ref"][:120]), str(d["count"]), _e(_when(d["last"])))
        for d in report.dead_letters
    ]
    health_table = _table(
        [
            "source",
            "last status",
            "last success",
            "failures in a row",
            "errors in period",
            "items",
            "last error",
        ],
        health,
        numeric=[3, 4, 5],
        empty="No polled sources recorded (a batch scan records only dead letters).",
    )
    letter_table = _table(
        ["stage", "reference", "count", "last"],
        letters,
        numeric=[2],
        empty="No dead letters in this period.",
    )
    return (
        "<h2>Source health</h2>\n"
        f"{health_table}\n"
        "<h3>Dead letters in the period</h3>\n"
        f"{letter_table}\n"
        "</body></html>\n"
    )
