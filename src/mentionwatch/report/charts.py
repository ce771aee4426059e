"""The report's charts: PNG bytes from matplotlib's Agg backend (no display, no pyplot state).

Every chart has a title, axis labels with units, and a legend naming each
series; colours are fixed per label so the same colour means the same thing
in every chart. Each function returns a ``Chart`` that also lists its series,
so tests can check a PNG for the series it should show.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from collections.abc import Mapping, Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

LABEL_COLORS = {"harassment": "#c0392b", "re_promotion": "#e67e22", "benign": "#2e86c1"}
LABEL_NAMES = {"harassment": "harassment", "re_promotion": "re-promotion", "benign": "benign"}
TYPE_COLOR = "#8e44ad"
DOMAIN_COLOR = "#e67e22"
SOURCE_COLOR = "#16a085"
EPISODE_COLOR = "#f1c40f"
# Lines for up to eight subjects on the timeline.
SUBJECT_COLORS = (
    "#c0392b",
    "#2c3e50",
    "#27ae60",
    "#8e44ad",
    "#d35400",
    "#2980b9",
    "#7f8c8d",
    "#f39c12",
)
DPI = 110


@dataclasses.dataclass(frozen=True)
class Chart:
    """One chart as PNG bytes, with its legend series and a text description."""

    name: str  # file stem, e.g. "volume"
    title: str
    png: bytes
    series: tuple[str, ...]  # legend entries, in order
    colors: tuple[str, ...]  # their colours (hex), in the same order
    alt: str  # a text description for the HTML


def _figure(width: float = 10.0, height: float = 4.8) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _empty_note(axes, text: str) -> None:
    axes.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontsize=12,
        color="#555555",
    )


def volume_chart(days: Sequence[str], counts: Mapping[str, Sequence[int]]) -> Chart:
    """Stacked bars: mentions per day, one colour per label."""
    figure = _figure()
    axes = figure.add_subplot()
    positions = list(range(len(days)))
    bottom = [0] * len(days)
    labels = [label for label in ("harassment", "re_promotion", "benign") if label in counts]
    for label in labels:
        values = list(counts[label])
        axes.bar(
            positions,
            values,
            bottom=bottom,
            color=LABEL_COLORS[label],
            label=LABEL_NAMES[label],
            width=0.8,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(days) // 12)
    axes.set_xticks(positions[::step], [d[5:] for d in days[::step]], rotation=45, ha="right")
    axes.set_xlim(-0.6, max(len(days), 1) - 0.4)
    axes.set_xlabel(f"Day (UTC, month-day), {days[0]} to {days[-1]}" if days else "Day (UTC)")
    axes.set_ylabel("Mentions per day (count)")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title("Mention volume per day, by label")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(title="label", loc="upper left")
    if not any(bottom):
        _empty_note(axes, "No mentions in this period")
    total = sum(bottom)
    return Chart(
        "volume",
        "Mention volume per day, by label",
        _png(figure),
        tuple(LABEL_NAMES[label] for label in labels),
        tuple(LABEL_COLORS[label] for label in labels),
        f"Stacked bar chart of mentions per day from {days[0] if days else '?'}"
        f" to {days[-1] if days else '?'}; {total} mentions in all.",
    )


def types_chart(counts: Mapping[str, int], types: Sequence[str]) -> Chart:
    """Horizontal bars: harassing mentions per type."""
    figure = _figure(height=4.0)
    axes = figure.add_subplot()
    names = list(types) + [t for t in counts if t not in types]
    values = [counts.get(t, 0) for t in names]
    bars = axes.barh(names[::-1], values[::-1], color=TYPE_COLOR, label="harassing mentions")
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("Harassing mentions in the period (count)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("Harassment type")
    axes.set_title("Harassment by type")
    axes.set_xlim(0, max(values + [1]) * 1.15)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="lower right")
    if not any(values):
        _empty_note(axes, "No harassment in this period")
    return Chart(
        "harassment-types",
        "Harassment by type",
        _png(figure),
        ("harassing mentions",),
        (TYPE_COLOR,),
        "Bar chart of harassing mentions per type: "
        + ", ".join(f"{n} {v}" for n, v in zip(names, values, strict=True))
        + ".",
    )


def _plain(text: str) -> str:
    """Text from the history, escaped to be shown as written.

    matplotlib reads ``$…$`` as math (and fails on a lone ``$``).
    """
    return text.replace("$", r"\$")


def repromotion_chart(domains: Sequence[Mapping], sources: Sequence[Mapping]) -> Chart:
    """Two panels: the domains and the sources re-promoting the most."""
    figure = _figure(height=4.6)
    left, right = figure.subplots(1, 2)
    for axes, rows, color, what in (
        (left, domains, DOMAIN_COLOR, "domains"),
        (right, sources, SOURCE_COLOR, "sources"),
    ):
        keys = [_plain(str(r["key"])[:32]) for r in rows][::-1]
        values = [r["count"] for r in rows][::-1]
        bars = axes.barh(
            keys, values, color=color, label=f"re-promotion mentions by {what[:-1]}", height=0.6
        )
        axes.set_ylim(-0.6, max(len(keys), 5) - 0.4)  # a lone bar stays a bar, not a block
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.bar_label(bars, padding=3)
        axes.set_xlabel("Re-promotion mentions (count)")
        axes.set_ylabel(what[:-1].capitalize())
        axes.set_title(f"Top re-promoting {what}")
        axes.set_xlim(0, max(values + [1]) * 1.2)
        axes.grid(axis="x", alpha=0.3)
        axes.legend(loc="lower right", fontsize=8)
        if not rows:
            _empty_note(axes, "No re-promotion in this period")
    return Chart(
        "re-promotion",
        "Who re-promotes: domains and sources",
        _png(figure),
        ("re-promotion mentions by domain", "re-promotion mentions by source"),
        (DOMAIN_COLOR, SOURCE_COLOR),
        "Two bar charts of re-promotion mentions: by domain ("
        + ", ".join(f"{r['key']} {r['count']}" for r in domains)
        + "); by source ("
        + ", ".join(f"{r['key']} {r['count']}" for r in sources)
        + ").",
    )


def timeline_chart(
    series: Mapping[str, Sequence[tuple[dt.datetime, int]]],
    episodes: Sequence,
    *,
    window_label: str,
) -> Chart:
    """Harassment per window for each subject, pile-on episodes shaded."""
    figure = _figure()
    axes = figure.add_subplot()
    names, colors = [], []
    for index, (subject, points) in enumerate(sorted(series.items())):
        color = SUBJECT_COLORS[index % len(SUBJECT_COLORS)]
        axes.plot(
            [p[0] for p in points],
            [p[1] for p in points],
            color=color,
            linewidth=1.4,
            label=_plain(subject),
            drawstyle="steps-post",
        )
        names.append(_plain(subject))
        colors.append(color)
    for n, episode in enumerate(episodes):
        axes.axvspan(
            episode.start,
            episode.end,
            color=EPISODE_COLOR,
            alpha=0.45,
            label="pile-on episode" if n == 0 else None,
        )
    if episodes:
        names.append("pile-on episode")
        colors.append(EPISODE_COLOR)
    axes.set_xlabel("Time (UTC)")
    axes.set_ylabel(f"Harassing mentions per {window_label} (count)")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(bottom=0)
    axes.set_title(f"Harassment per {window_label} and pile-on episodes")
    axes.grid(alpha=0.3)
    figure.autofmt_xdate()
    if names:
        axes.legend(title="subject", loc="upper left")
    else:
        _empty_note(axes, "No harassment in this period")
    return Chart(
        "harassment-timeline",
        f"Harassment per {window_label} and pile-on episodes",
        _png(figure),
        tuple(names),
        tuple(colors),
        f"Line chart of harassing mentions per {window_label} for {len(series)} subject(s); "
        f"{len(episodes)} pile-on episode(s) shaded.",
    )
