"""The ``alerts:`` block: which classified mentions become alerts, and how bursts are grouped."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mentionwatch.config.base import Block

Severity = Literal["low", "medium", "high", "critical"]


class MinScores(Block):
    """Per-label minimum score for a mention to alert (on top of the model thresholds)."""

    harassment: float = Field(default=0.0, ge=0, le=1)
    re_promotion: float = Field(default=0.0, ge=0, le=1)


class SubjectAlertPolicy(Block):
    """Overrides of the alert policy for one subject."""

    min_severity: Severity | None = None
    min_score: MinScores = MinScores()


class PileOn(Block):
    """When harassment of one subject spikes above its own recent baseline.

    A pile-on alert fires when the harassment mentions in the last
    ``window_s`` exceed the subject's mean per window over the last
    ``baseline_days`` by ``sigmas`` standard deviations, and number at least
    ``min_count``. At most one per ``cooldown_s``.
    """

    window_s: int = Field(default=3600, ge=60)
    baseline_days: int = Field(default=14, ge=1, le=90)
    sigmas: float = Field(default=3.0, gt=0)
    min_count: int = Field(default=5, ge=1)
    cooldown_s: int = Field(default=6 * 3600, ge=0)


class AlertsSettings(Block):
    """Which classified mentions become alerts, and how bursts are grouped.

    Attributes:
      labels: labels that can alert at all.
      min_severity: mentions below this severity are stored but not alerted.
      burst_window_s: the streaming monitor groups medium/low alerts of the
        same kind (same subject, label, type; for re-promotion the same title)
        arriving within this window into one alert with a count.
      high_burst_window_s: the same for high-severity alerts (incitement,
        sexual harassment, identity attacks). Critical alerts (threats,
        doxxing, pile-ons) are never held.
      pile_on: the spike detector.
      subjects: per-subject overrides, keyed by the subject's name.
    """

    labels: tuple[Literal["harassment", "re_promotion"], ...] = ("harassment", "re_promotion")
    min_severity: Severity = "low"
    burst_window_s: int = Field(default=600, ge=0, le=86_400)
    high_burst_window_s: int = Field(default=60, ge=0, le=3600)
    pile_on: PileOn = PileOn()
    subjects: dict[str, SubjectAlertPolicy] = Field(default_factory=dict)
