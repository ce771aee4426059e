"""``mentionwatch report``: the period's mentions as one self-contained HTML page and PNG charts.

``build_report`` runs the report's queries (``report.queries``) in one
read transaction, finds pile-on episodes (``report.episodes``) and draws the
charts (``report.charts``); ``write_report`` writes ``report.html`` with the
charts embedded (base64 PNG) and the same PNGs beside it
(``report-volume.png``, ...). The page never shows abusive text: each
mention is described by what happened, where, when, how severe, and a link.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import time
from collections.abc import Sequence
from typing import Any

from mentionwatch.records import HARASSMENT_TYPES
from mentionwatch.report import charts, queries
from mentionwatch.report.episodes import Episode, find_episodes
from mentionwatch.store.db import HistoryStore


@dataclasses.dataclass(frozen=True)
class PileOnSettings:
    """What counts as a pile-on: window length, baseline days, sigmas, minimum count."""

    window_s: int = 3600
    baseline_days: int = 14
    sigmas: float = 3.0
    min_count: int = 5

    @classmethod
    def from_config(cls, block) -> PileOnSettings:
        """The settings of a config's ``alerts.pile_on`` block."""
        return cls(block.window_s, block.baseline_days, block.sigmas, block.min_count)


@dataclasses.dataclass(frozen=True)
class Report:
    """Everything one report shows, queried once; rendered by ``html.render``."""

    window: queries.Window
    generated_at: dt.datetime
    totals: dict[str, int]
    days: list[str]
    volume: dict[str, list[int]]
    types: dict[str, int]
    domains: list[dict[str, Any]]
    sources: list[dict[str, Any]]
    authors: list[dict[str, Any]]
    episodes: list[Episode]
    pile_on_alerts: list[dict[str, Any]]
    alerts: dict[str, int]
    delivery: list[Any]  # notify.delivery.AlertDelivery, newest first
    health: list[dict[str, Any]]
    dead_letters: list[dict[str, Any]]
    top: list[dict[str, Any]]
    charts: list[charts.Chart]
    timings: dict[str, float]
    pile_on: PileOnSettings


def _days(since: dt.datetime, until: dt.datetime) -> list[str]:
    day = since.date()
    out = []
    while dt.datetime.combine(day, dt.time(), dt.UTC) < until:
        out.append(day.isoformat())
        day += dt.timedelta(days=1)
    return out


def _timed(timings: dict[str, float], name: str, function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    timings[name] = time.perf_counter() - start
    return result


def run_queries(
    connection, window: queries.Window, pile_on: PileOnSettings, timings: dict[str, float]
) -> dict[str, Any]:
    """Every query of the report, timed (``benchmarks/history.py`` uses this too)."""
    return {
        "volume": _timed(
            timings, "volume per day by label", queries.volume_by_day, connection, window
        ),
        "types": _timed(
            timings, "harassment by type", queries.harassment_by_type, connection, window
        ),
        "domains": _timed(
            timings,
            "top re-promoting domains",
            queries.top_repromoters,
            connection,
            window,
            "domain",
        ),
        "sources": _timed(
            timings,
            "top re-promoting sources",
            queries.top_repromoters,
            connection,
            window,
            "source",
        ),
        "authors": _timed(
            timings,
            "top re-promoting authors",
            queries.top_repromoters,
            connection,
            window,
            "author",
        ),
        "windows": _timed(
            timings,
            "harassment per window (pile-ons)",
            queries.harassment_windows,
            connection,
            window,
            window_s=pile_on.window_s,
            baseline_days=pile_on.baseline_days,
        ),
        "pile_on_alerts": _timed(
            timings, "pile-on alerts", queries.pile_on_alerts, connection, window
        ),
        "alerts": _timed(timings, "alerts by status", queries.alert_counts, connection, window),
        "delivery": _timed(timings, "alert delivery", queries.alert_delivery, connection, window),
        "health": _timed(timings, "source health", queries.source_health, connection, window),
        "dead_letters": _timed(
            timings, "dead letters by stage", queries.dead_letters_by_stage, connection, window
        ),
        "top": _timed(
            timings, "highest-severity mentions", queries.top_severity, connection, window
        ),
    }


def build_report(
    store: HistoryStore,
    *,
    since: dt.datetime,
    until: dt.datetime,
    subjects: Sequence[str] = (),
    pile_on: PileOnSettings | None = None,
) -> Report:
    """Queries the history store for the period and builds the report with its charts."""
    pile_on = pile_on or PileOnSettings()
    window = queries.Window(since, until, tuple(subjects))
    timings: dict[str, float] = {}
    with store.engine.connect() as connection, connection.begin():  # one snapshot for every query
        data = run_queries(connection, window, pile_on, timings)

    days = _days(since, until)
    volume = {label: [0] * len(days) for label in ("harassment", "re_promotion", "benign")}
    index = {d: i for i, d in enumerate(days)}
    totals = {"harassment": 0, "re_promotion": 0, "benign": 0}
    for day, label, count in data["volume"]:
        if day in index and label in volume:
            volume[label][index[day]] += count
        totals[label] = totals.get(label, 0) + count

    episodes = find_episodes(
        data["windows"],
        since,
        until,
        window_s=pile_on.window_s,
        baseline_days=pile_on.baseline_days,
        sigmas=pile_on.sigmas,
        min_count=pile_on.min_count,
    )
    first = int(since.timestamp() // pile_on.window_s)
    last = int(-(-until.timestamp() // pile_on.window_s))
    per_subject: dict[str, dict[int, int]] = {}
    for subject, bucket, count in data["windows"]:
        per_subject.setdefault(subject, {})[bucket] = count
    series = {
        subject: [
            (dt.datetime.fromtimestamp(b * pile_on.window_s, dt.UTC), counts.get(b, 0))
            for b in range(first, last)
        ]
        for subject, counts in per_subject.items()
        if any(first <= b < last for b in counts)
    }
    hours = pile_on.window_s / 3600
    window_label = (
        "hour"
        if hours == 1
        else (f"{hours:g} hours" if hours >= 1 else f"{pile_on.window_s // 60} minutes")
    )
    drawn = [
        charts.volume_chart(days, volume),
        charts.types_chart(data["types"], HARASSMENT_TYPES),
        charts.repromotion_chart(data["domains"], data["sources"]),
        charts.timeline_chart(series, episodes, window_label=window_label),
    ]
    return Report(
        window=window,
        generated_at=dt.datetime.now(dt.UTC),
        totals=totals,
        days=days,
        volume=volume,
        types=data["types"],
        domains=data["domains"],
        sources=data["sources"],
        authors=data["authors"],
        episodes=episodes,
        pile_on_alerts=data["pile_on_alerts"],
        alerts=data["alerts"],
        delivery=data["delivery"],
        health=data["health"],
        dead_letters=data["dead_letters"],
        top=data["top"],
        charts=drawn,
        timings=timings,
        pile_on=pile_on,
    )


def write_report(report: Report, out: str | pathlib.Path) -> list[pathlib.Path]:
    """Writes the HTML page and its PNG charts beside it; returns the paths written."""
    from mentionwatch.report.html import render

    path = pathlib.Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for chart in report.charts:
        png = path.with_name(f"{path.stem}-{chart.name}.png")
        png.write_bytes(chart.png)
        written.append(png)
    path.write_text(render(report), encoding="utf-8")
    return [path, *written]
