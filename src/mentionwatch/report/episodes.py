"""Pile-on episodes found in the stored history (a pure function, no database).

The rule is the streaming monitor's (``alerts.engine``, the ``pile_on``
config block) applied to fixed windows after the fact: a window of
``window_s`` (one clock hour by default) is *elevated* when its harassment
count is at least ``min_count`` and above the mean + ``sigmas`` standard
deviations of the same subject's counts over the ``baseline_days`` before it
(windows with none count as zero). Consecutive elevated windows form one
episode. The monitor decides on a sliding window as mentions arrive, so an
episode here and a pile-on alert there usually coincide but need not match to
the minute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping


@dataclasses.dataclass(frozen=True)
class Episode:
    """A run of elevated windows of one subject: when, its peak and total harassment."""

    subject: str
    start: dt.datetime
    end: dt.datetime  # exclusive
    peak: int  # most harassment in one window
    total: int  # harassment in the episode
    threshold: float  # the count the peak window had to exceed


@dataclasses.dataclass(frozen=True)
class ElevatedWindow:
    """One window whose harassment count exceeded its threshold."""

    bucket: int
    count: int
    threshold: float


def elevated_windows(
    counts: Mapping[int, int],
    first: int,
    last: int,
    *,
    baseline_windows: int,
    sigmas: float,
    min_count: int,
) -> list[ElevatedWindow]:
    """Windows in ``[first, last)`` whose count beats their own baseline (see the module doc)."""
    baseline_windows = max(1, baseline_windows)
    total = total_sq = 0.0
    for index in range(first - baseline_windows, first):
        value = counts.get(index, 0)
        total += value
        total_sq += value * value
    out = []
    for index in range(first, last):
        mean = total / baseline_windows
        std = math.sqrt(max(0.0, total_sq / baseline_windows - mean * mean))
        threshold = mean + sigmas * std
        value = counts.get(index, 0)
        if value >= min_count and value > threshold:
            out.append(ElevatedWindow(index, value, threshold))
        leaving = counts.get(index - baseline_windows, 0)
        total += value - leaving
        total_sq += value * value - leaving * leaving
    return out


def find_episodes(
    rows: Iterable[tuple[str, int, int]],
    since: dt.datetime,
    until: dt.datetime,
    *,
    window_s: int,
    baseline_days: int,
    sigmas: float,
    min_count: int,
) -> list[Episode]:
    """Episodes per subject from ``(subject, window index, count)`` rows.

    The rows are those of ``queries.harassment_windows``.
    """
    by_subject: dict[str, dict[int, int]] = {}
    for subject, bucket, count in rows:
        by_subject.setdefault(subject, {})[bucket] = count
    first = int(since.timestamp() // window_s)
    last = math.ceil(until.timestamp() / window_s)
    baseline = max(1, baseline_days * 86_400 // window_s)
    episodes = []
    for subject, counts in sorted(by_subject.items()):
        run: list[ElevatedWindow] = []
        for window in elevated_windows(
            counts, first, last, baseline_windows=baseline, sigmas=sigmas, min_count=min_count
        ) + [None]:
            if window is not None and (not run or window.bucket == run[-1].bucket + 1):
                run.append(window)
                continue
            if run:
                peak = max(run, key=lambda w: w.count)
                episodes.append(
                    Episode(
                        subject,
                        dt.datetime.fromtimestamp(run[0].bucket * window_s, dt.UTC),
                        dt.datetime.fromtimestamp((run[-1].bucket + 1) * window_s, dt.UTC),
                        peak.count,
                        sum(w.count for w in run),
                        peak.threshold,
                    )
                )
            run = [window] if window is not None else []
    return sorted(episodes, key=lambda e: (e.start, e.subject))
