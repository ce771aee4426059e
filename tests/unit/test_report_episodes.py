"""Pile-on episodes from stored counts: the monitor's rule, per window, after the fact."""

import datetime as dt

from mentionwatch.report.episodes import elevated_windows, find_episodes

HOUR = 3600
DAY0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def bucket(hours: float) -> int:
    return int((DAY0.timestamp() + hours * HOUR) // HOUR)


def test_a_spike_over_a_noisy_baseline_is_one_episode():
    counts = {
        bucket(h): (1 if h % 3 == 0 else 0) for h in range(-14 * 24, 24 * 10)
    }  # a quiet, steady trickle
    counts[bucket(100)] = 9
    counts[bucket(101)] = 12  # two elevated hours in a row
    counts[bucket(150)] = 2  # above the mean, below min_count
    rows = [("Dana Reyes", b, c) for b, c in counts.items() if c]
    (episode,) = find_episodes(
        rows,
        DAY0,
        DAY0 + dt.timedelta(days=10),
        window_s=HOUR,
        baseline_days=14,
        sigmas=3.0,
        min_count=5,
    )
    assert episode.subject == "Dana Reyes" and episode.peak == 12 and episode.total == 21
    assert episode.start == DAY0 + dt.timedelta(hours=100) and episode.end == DAY0 + dt.timedelta(
        hours=102
    )
    assert 0 < episode.threshold < 5


def test_a_subject_always_this_loud_has_no_episode():
    counts = {bucket(h): 8 for h in range(-14 * 24, 24 * 3)}
    assert (
        elevated_windows(
            counts, bucket(0), bucket(72), baseline_windows=14 * 24, sigmas=3.0, min_count=5
        )
        == []
    )


def test_subjects_are_separate_and_episodes_are_sorted_by_time():
    rows = [("B", bucket(5), 7), ("A", bucket(30), 6)]
    episodes = find_episodes(
        rows,
        DAY0,
        DAY0 + dt.timedelta(days=2),
        window_s=HOUR,
        baseline_days=1,
        sigmas=2.0,
        min_count=5,
    )
    assert [(e.subject, e.peak) for e in episodes] == [("B", 7), ("A", 6)]
