"""The one-page summary of an evidence pack: what a lawyer or a platform reads first.

``build_summary`` turns a pack's manifest (its records: the alert, the
classifications, the items, the fetches, and the manifest's ``summary``
block) into a ``Summary``: who (the subject), what (the finding, its
severity, the model and version that made it, the scores), where (the post,
and the address the page was fetched from and finally served at after
redirects), when (published, fetched, alerted), a text excerpt (hidden behind
a content warning unless the pack was exported with ``--show-text``) and the
SHA-256 fingerprints that bind the page to the raw bytes in the pack, with a
plain account of what those fingerprints prove.

The summary is a function of the records alone: no clock, no random ids,
its date the latest of the pack's own times. ``render_html`` writes it as
HTML here; ``store.evidence_pdf`` writes the same summary as a one-page PDF.
Because both are rebuilt from the manifest, ``evidence verify`` can check
that the files in a pack say what its records say.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Mapping, Sequence
from typing import Any

from mentionwatch.timeutil import iso_z, parse_time

LAYOUT = "mentionwatch-summary/1"
SUMMARY_HTML = "summary.html"
SUMMARY_PDF = "summary.pdf"
SUMMARY_FILES = (SUMMARY_HTML, SUMMARY_PDF)
# At most this much of the excerpt is shown (the alert's excerpt is 280 characters).
EXCERPT_LIMIT = 600
# Raw bodies named one by one; a burst alert's others are counted and left to manifest.json.
MAX_BODIES = 3
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LABELS = {
    "harassment": "harassment",
    "re_promotion": "re-promotion of earlier content",
    "benign": "nothing harmful found (benign)",
}
_SHORT = {"harassment": "harassment", "re_promotion": "re-promotion", "benign": "benign"}
INTRO = (
    "This page summarises one alert that mentionwatch, a tool that watches public web pages "
    "for mentions of the person named below, recorded and classified automatically. Every "
    "fact on it comes from this evidence pack's records (manifest.json). The page itself, "
    "exactly as it was fetched, is the file named under Fingerprints."
)
MODEL_NOTE = (
    "The finding was made automatically by the model named above, not by a person. The "
    "scores are the model's confidence for each label, from 0 to 1; an alert is raised when "
    "a score is above its threshold."
)
PROOF = (
    "A SHA-256 fingerprint is computed from a file's exact bytes: if even one byte changes, "
    "the fingerprint changes. The fingerprint above is that of the page exactly as the "
    "server sent it, kept in this pack under raw/. manifest.json lists it together with the "
    "fingerprints of this summary and of every other file, and SHA256SUMS repeats them all, "
    "so the fingerprint of manifest.json, printed when the pack was exported and best kept "
    "apart from it, pins the whole pack, this summary included. Anyone can recompute them "
    "with 'sha256sum -c SHA256SUMS' or 'mentionwatch evidence verify'. Matching fingerprints "
    "show that nothing has changed since the export; they do not by themselves show who "
    "wrote or published the page."
)


@dataclasses.dataclass(frozen=True)
class Row:
    """One labelled fact; ``mono`` for addresses and fingerprints (a fixed-width face)."""

    label: str
    value: str
    mono: bool = False


@dataclasses.dataclass(frozen=True)
class Section:
    """A heading, its facts, and a paragraph under them (``quote`` when it is the excerpt)."""

    heading: str
    rows: tuple[Row, ...]
    text: str = ""
    quote: bool = False


@dataclasses.dataclass(frozen=True)
class Summary:
    """What the summary page shows, in order, and its date (the pack's latest own time)."""

    title: str
    intro: str
    sections: tuple[Section, ...]
    footer: str
    created: dt.datetime


def clean(value: Any) -> str:
    """``value`` as one line of text: control characters and line breaks become spaces."""
    if value is None:
        return ""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def when(value: Any) -> str:
    """A recorded time as ``2026-11-22 08:00:03 UTC``; unreadable times are shown as written."""
    if value in (None, ""):
        return "not recorded"
    try:
        moment = parse_time(str(value))
    except ValueError:
        return clean(value)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "not recorded"


def finding(label: Any, harassment_type: Any) -> str:
    """The label in words, with the harassment type when there is one."""
    words = _LABELS.get(str(label), clean(label) or "unknown")
    return f"{words} ({clean(harassment_type)})" if harassment_type else words


def summary_block(alert: Mapping[str, Any], show_text: bool) -> dict[str, Any]:
    """The manifest's ``summary`` entry: the files, and the excerpt as the summary shows it.

    ``alert`` is the stored alert's body (its ``excerpt``, label and type).
    Unless ``show_text``, only the excerpt's length is kept, never its text.
    """
    text = clean(alert.get("excerpt") or alert.get("title") or "")[:EXCERPT_LIMIT]
    return {
        "layout": LAYOUT,
        "files": list(SUMMARY_FILES),
        "text_shown": bool(show_text),
        "content_warning": finding(alert.get("label"), alert.get("harassment_type")),
        "excerpt": text if show_text else "",
        "excerpt_chars": len(text),
    }


def pack_time(manifest: Mapping[str, Any]) -> dt.datetime:
    """The latest time the pack's records hold (alert, classifications, items, fetches).

    The summary's date: the same records always give the same date.
    """
    alert = manifest.get("alert") or {}
    values = [alert.get("created_at"), alert.get("published_at")]
    values += [c.get("classified_at") for c in manifest.get("classifications") or []]
    values += [i.get("fetched_at") for i in manifest.get("items") or []]
    values += [f.get("last_fetched_at") for f in manifest.get("fetches") or []]
    moments = []
    for value in values:
        try:
            moment = parse_time(value) if isinstance(value, str) else None
        except ValueError:
            moment = None
        if moment is not None:
            moments.append(moment)
    return max(moments, default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def _leader(manifest: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    """The alert's own item, the fetch its body came from, and its classification."""
    alert = manifest.get("alert") or {}
    items = manifest.get("items") or []
    item = next((i for i in items if i.get("item_id") == alert.get("item_id")), None)
    item = item or (items[0] if items else {})
    fetch = next(
        (
            f
            for f in manifest.get("fetches") or []
            if item.get("raw_sha256") and f.get("sha256") == item.get("raw_sha256")
        ),
        {},
    )
    ours = [
        c
        for c in manifest.get("classifications") or []
        if c.get("mention_id") == alert.get("mention_id")
    ] or list(manifest.get("classifications") or [])
    model = alert.get("model") or {}
    made_it = [c for c in ours if c.get("model") == model] or [c for c in ours if c.get("current")]
    classification = (made_it or ours or [{}])[-1]
    return item, fetch, classification


def _scores(scores: Any) -> tuple[str, str]:
    """(label scores, the top harassment-type scores), each as one line of text."""
    scores = scores if isinstance(scores, Mapping) else {}
    main = " · ".join(
        f"{name} {float(scores[label]):.2f}"
        for label, name in _SHORT.items()
        if isinstance(scores.get(label), int | float)
    )
    types = sorted(
        (
            (-float(value), key.removeprefix("type:"))
            for key, value in scores.items()
            if key.startswith("type:") and isinstance(value, int | float)
        )
    )[:3]
    return main, " · ".join(f"{name} {-score:.2f}" for score, name in types)


def _what(alert: Mapping, classification: Mapping) -> Section:
    model = classification.get("model") or alert.get("model") or {}
    main, types = _scores(classification.get("scores"))
    thresholds = classification.get("thresholds") or {}
    rows = [
        Row("Finding", finding(alert.get("label"), alert.get("harassment_type"))),
        Row("Severity", clean(alert.get("severity"))),
        Row("Model", f"{clean(model.get('id'))}, version {clean(model.get('version'))}"),
        Row("Classified at", when(classification.get("classified_at"))),
        Row("Scores", main or "not recorded"),
    ]
    if types:
        rows.append(Row("Type scores", types))
    if isinstance(thresholds, Mapping) and thresholds:
        shown = ", ".join(
            f"{_SHORT.get(k, clean(k))} {float(v):.2f}" for k, v in sorted(thresholds.items())
        )
        rows.append(Row("Alert thresholds", shown))
    rows.append(Row("Alert id", clean(alert.get("alert_id")), mono=True))
    grouped = len(manifest_list(alert.get("grouped_alerts")))
    if grouped:
        rows.append(Row("Also covers", f"{grouped} more alerts grouped into this one"))
    return Section("What was found", tuple(rows), MODEL_NOTE)


def manifest_list(value: Any) -> list:
    """``value`` when it is a list, else an empty list (manifests are read as untrusted)."""
    return value if isinstance(value, list) else []


def _where(alert: Mapping, item: Mapping, fetch: Mapping) -> Section:
    rows = [
        Row("Post address", clean(alert.get("url") or item.get("url")) or "not recorded", True),
        Row("Source", clean(alert.get("source") or item.get("source")) or "not recorded"),
    ]
    if fetch:
        hops = len(manifest_list(fetch.get("redirects")))
        final = clean(fetch.get("final_url") or fetch.get("url"))
        rows += [
            Row("Fetched from", clean(fetch.get("url")), True),
            Row("Final address", final, True),
            Row("Redirects", f"{hops} (each one is in manifest.json)" if hops else "none"),
            Row("HTTP status", clean(fetch.get("status"))),
        ]
    else:
        rows.append(Row("Page as fetched", "not in this pack (manifest.json's notes say why)"))
    return Section("Where", tuple(rows))


def _times(count: Any) -> str:
    return "fetched once" if count == 1 else f"fetched {clean(count)} times"


def _when(alert: Mapping, item: Mapping, fetch: Mapping) -> Section:
    rows = [Row("Published", when(item.get("published_at")) + " (as the page states it)")]
    if fetch:
        count = fetch.get("fetch_count")
        rows += [
            Row("First fetched", when(fetch.get("first_fetched_at"))),
            Row("Last fetched", f"{when(fetch.get('last_fetched_at'))} ({_times(count)})"),
        ]
    else:
        rows.append(Row("Fetched", when(item.get("fetched_at"))))
    rows.append(Row("Alert raised", when(alert.get("created_at"))))
    return Section("When", tuple(rows))


def _excerpt(block: Mapping) -> Section:
    warning = clean(block.get("content_warning"))
    if block.get("text_shown"):
        rows = (Row("Content warning", warning),)
        return Section("Text excerpt", rows, clean(block.get("excerpt")) or "(no text)", quote=True)
    text = (
        f"Hidden behind a content warning: {warning}, {clean(block.get('excerpt_chars'))} "
        "characters. The page as fetched is in raw/; exporting the pack again with "
        "--show-text puts the excerpt on this page."
    )
    return Section("Text excerpt", (), text)


def _fingerprints(manifest: Mapping, item: Mapping) -> Section:
    bodies = [f for f in manifest_list(manifest.get("fetches")) if f.get("file")]
    bodies.sort(key=lambda f: f.get("sha256") != item.get("raw_sha256"))  # the alert's own first
    rows = []
    for fetch in bodies[:MAX_BODIES]:
        rows += [
            Row("Page as fetched", clean(fetch.get("sha256")), True),
            Row("File in this pack", clean(fetch.get("file")), True),
        ]
    if len(bodies) > MAX_BODIES:
        rows.append(Row("More pages", f"{len(bodies) - MAX_BODIES} more, listed in manifest.json"))
    if not rows:
        rows.append(Row("Page as fetched", "none in this pack (see manifest.json's notes)"))
    return Section("Fingerprints (SHA-256)", tuple(rows), PROOF)


def build_summary(manifest: Mapping[str, Any]) -> Summary:
    """The summary of a pack from its manifest alone (see the module docstring).

    Raises ``ValueError``, ``TypeError``, ``KeyError`` or ``AttributeError``
    when a manifest read as untrusted lacks what a summary needs.
    """
    alert = manifest.get("alert") or {}
    block = manifest["summary"]
    item, fetch, classification = _leader(manifest)
    created = pack_time(manifest)
    sections = (
        Section("Who", (Row("Subject", clean(alert.get("subject"))),)),
        _what(alert, classification),
        _where(alert, item, fetch),
        _when(alert, item, fetch),
        _excerpt(block),
        _fingerprints(manifest, item),
    )
    footer = (
        f"Prepared by {clean(manifest.get('generator'))} from the pack's records, the latest "
        f"dated {iso_z(created)}; layout {clean(block.get('layout'))}. The fingerprints of "
        f"{SUMMARY_HTML} and {SUMMARY_PDF} are in manifest.json and SHA256SUMS."
    )
    title = f"Evidence summary: alert {clean(alert.get('alert_id'))}"
    return Summary(title, INTRO, sections, footer, created)


_CSS = (
    "@page{size:A4;margin:16mm}body{font:10pt/1.35 sans-serif;color:#111;max-width:46em;"
    "margin:1em auto}h1{font-size:15pt}h2{font-size:11pt;margin:1em 0 .3em}"
    "table{border-collapse:collapse}th{text-align:left;vertical-align:top;padding:1px 1em 1px 0;"
    "white-space:nowrap}td{padding:1px 0}.mono{font-family:monospace;word-break:break-all}"
    "blockquote{margin:.4em 0;padding:.3em .8em;border-left:3px solid #999}"
    "footer{margin-top:1.5em;font-size:8pt;color:#444}"
)


def render_html(summary: Summary) -> bytes:
    """The summary as one self-contained HTML page (UTF-8; one element per line)."""
    e = html.escape
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{e(summary.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(summary.title)}</h1>",
        f"<p>{e(summary.intro)}</p>",
    ]
    for section in summary.sections:
        lines.append(f"<h2>{e(section.heading)}</h2>")
        if section.rows:
            lines.append("<table>")
            for row in section.rows:
                mono = ' class="mono"' if row.mono else ""
                lines.append(
                    f"<tr><th>{e(row.label)}</th><td{mono}>{e(row.value or '-')}</td></tr>"
                )
            lines.append("</table>")
        if section.text:
            tag = "blockquote" if section.quote else "p"
            lines.append(f"<{tag}>{e(section.text)}</{tag}>")
    lines += [f"<footer>{e(summary.footer)}</footer>", "</body>", "</html>"]
    return ("\n".join(lines) + "\n").encode("utf-8")


def first_difference(actual: Sequence[str], expected: Sequence[str]) -> str:
    """Where two renderings of a summary part ways, in words (for ``evidence verify``)."""
    for n, (got, want) in enumerate(zip(actual, expected, strict=False), start=1):
        if got != want:
            return f"line {n} reads {got[:120]!r}, the records give {want[:120]!r}"
    if len(actual) != len(expected):
        return f"it has {len(actual)} lines, the records give {len(expected)}"
    return "they differ"
