"""``DecideAlerts``: ClassifiedMention → Alert, by the alert policy."""

from __future__ import annotations

import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.alerts.policy import select
from mentionwatch.deadletter import ToDeadLetters
from mentionwatch.records import ClassifiedMention


class AlertsResult(typing.NamedTuple):
    alerts: beam.PCollection
    errors: beam.PCollection


class _DecideFn(beam.DoFn):
    def __init__(self, labels: Sequence[str], min_severity: str):
        self._labels = tuple(labels)
        self._min_severity = min_severity
        self._alerts = Metrics.counter("mentionwatch.alerts", "decided")

    def process(self, classified: ClassifiedMention):
        alert = select(classified, self._labels, self._min_severity)
        if alert is not None:
            self._alerts.inc()
            yield alert


class DecideAlerts(beam.PTransform):
    """Applies the alert policy; identical input yields identical alert ids.

    Args:
      labels: labels that may alert (``harassment``, ``re_promotion``).
      min_severity: the lowest severity that alerts.
    """

    def __init__(self, labels: Sequence[str], min_severity: str):
        super().__init__()
        self._fn = _DecideFn(labels, min_severity)

    def expand(self, classified):
        alerts, failed = classified | "Decide" >> beam.ParDo(self._fn).with_exception_handling()
        # The same item can arrive twice (two feeds, a re-run): one alert per id.
        unique = (
            alerts
            | "KeyById" >> beam.Map(lambda a: (a.alert_id, a))
            | "GroupById" >> beam.GroupByKey()
            | "FirstOfEach" >> beam.Map(lambda kv: next(iter(kv[1])))
        )
        return AlertsResult(unique, failed | "DecideErrors" >> ToDeadLetters("DecideAlerts"))
