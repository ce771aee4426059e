"""``DecideAlerts``: ClassifiedMention → Alert, by the alert policy.

Two modes, one policy (``alerts.engine``):

* batch (``mentionwatch scan``): every mention the policy selects becomes its
  own alert, once per alert id. A one-shot scan reports each mention.
* streaming (the monitor): a stateful DoFn per subject applies the timeline
  in ``alerts.engine`` — critical alerts at once, bursts grouped into one
  alert with a count, pile-on detection — and records every decision in the
  history store before it acts on it, so a crash loses nothing.
"""

from __future__ import annotations

import datetime as dt
import time
import typing

import apache_beam as beam
from apache_beam.coders import PickleCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.transforms.window import TimestampedValue
from apache_beam.utils.timestamp import MAX_TIMESTAMP, MIN_TIMESTAMP, Duration, Timestamp

from mentionwatch.alerts.engine import PolicyEngine, PolicyParams, SubjectState
from mentionwatch.deadletter import ToDeadLetters, from_exception
from mentionwatch.records import ClassifiedMention
from mentionwatch.timeutil import parse_time

ERRORS = "errors"


class AlertsResult(typing.NamedTuple):
    """What ``DecideAlerts`` produces: the alerts, and dead letters for mentions it failed on."""

    alerts: beam.PCollection
    errors: beam.PCollection


class _DecideFn(beam.DoFn):
    def __init__(self, params: PolicyParams):
        self._params = params
        self._alerts = Metrics.counter("mentionwatch.alerts", "decided")

    def setup(self):
        self._engine = PolicyEngine(self._params)

    def process(self, classified: ClassifiedMention):
        alert = self._engine.select(classified)
        if alert is not None:
            self._alerts.inc()
            yield alert


def _utc(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


class _StampEventTime(beam.DoFn):
    """Sets each mention's timestamp to the policy's clock.

    The clock is when the monitor read the item (``observed_at``, set at
    decode): what arrives together is grouped together, so a backlog after an
    outage becomes bursts, not a flood, and the DirectRunner's watermark
    (wall clock at read) never runs ahead of it. Batching stages
    (RunInference, the store sink) re-stamp their outputs at the end of the
    global window, which is why the clock travels in the item. Without
    ``observed_at``: ``fetched_at``, then a meaningful element timestamp
    (tests drive TestStream this way), then the wall clock. Moving a
    timestamp back needs an unbounded allowed skew; in the global window this
    only makes an element late, which the policy handles (it is decided on
    arrival).
    """

    def get_allowed_timestamp_skew(self):
        return Duration(seconds=10 * 365 * 86_400)

    def process(self, classified: ClassifiedMention, timestamp=beam.DoFn.TimestampParam):
        item = classified.mention.item
        observed = item.observed_at or item.fetched_at
        if observed:
            seconds = parse_time(observed).timestamp()
        elif MIN_TIMESTAMP < timestamp < MAX_TIMESTAMP - Duration(seconds=86_400 * 365):
            seconds = float(timestamp)
        else:
            seconds = time.time()
        yield TimestampedValue(classified, seconds)


class _DecideOverTimeFn(beam.DoFn):
    """Keyed by subject; state is one ``SubjectState``; one event-time timer."""

    STATE = ReadModifyWriteStateSpec("policy", PickleCoder())
    RELEASE = TimerSpec("release", TimeDomain.WATERMARK)

    def __init__(self, params: PolicyParams, store_url: str | None):
        self._params = params
        self._store_url = store_url
        self._alerts = Metrics.counter("mentionwatch.alerts", "decided")
        self._held = Metrics.counter("mentionwatch.alerts", "held")
        self._grouped = Metrics.counter("mentionwatch.alerts", "grouped")
        self._pile_ons = Metrics.counter("mentionwatch.alerts", "pile_ons")

    def setup(self):
        from mentionwatch.store import HistoryStore

        self._engine = PolicyEngine(self._params)
        self._store = HistoryStore(self._store_url) if self._store_url else None

    def teardown(self):
        if getattr(self, "_store", None) is not None:
            self._store.close()

    def _state(self, subject: str, state, now: float) -> SubjectState:
        current = state.read() or SubjectState()
        if not current.seeded:
            history: list[float] = []
            if self._store is not None:
                days = self._params.pile_on.baseline_days
                history = self._store.harassment_times(
                    subject, since=_utc(now - days * 86_400), until=_utc(now)
                )
            self._engine.seed(current, history)
        return current

    def process(
        self,
        keyed: tuple[str, ClassifiedMention],
        timestamp=beam.DoFn.TimestampParam,
        state=beam.DoFn.StateParam(STATE),
        timer=beam.DoFn.TimerParam(RELEASE),
    ):
        subject, classified = keyed
        now = float(timestamp)
        current = self._state(subject, state, now)
        try:
            decision = self._engine.decide(current, classified, now)
        except Exception as exc:  # noqa: BLE001 - one bad mention must not stop the subject's policy
            yield beam.pvalue.TaggedOutput(
                ERRORS,
                from_exception("DecideAlerts", classified.mention, f"{type(exc).__name__}: {exc}"),
            )
            return
        if self._store is not None:
            # Durable before anything is emitted or confirmed.
            self._store.record_alerts(decision.emit)
            for alert, key, release_at in decision.hold:
                self._store.record_held(alert, key, _utc(release_at))
            for alert, burst in decision.grouped:
                self._store.record_grouped(alert, burst)
            self._store.mark_decided([classified.mention.id])
            self._store.confirm_items([classified.mention.item.id])
        state.write(current)
        self._arm(current, timer)
        self._held.inc(len(decision.hold))
        self._grouped.inc(len(decision.grouped))
        self._pile_ons.inc(sum(1 for a in decision.emit if a.kind == "pile_on"))
        self._alerts.inc(len(decision.emit))
        yield from decision.emit

    @on_timer(RELEASE)
    def release(
        self,
        fired=beam.DoFn.TimestampParam,
        state=beam.DoFn.StateParam(STATE),
        timer=beam.DoFn.TimerParam(RELEASE),
    ):
        current = state.read() or SubjectState()
        released = self._engine.release(current, float(fired))
        state.write(current)
        self._arm(current, timer)
        self._alerts.inc(len(released))
        yield from released

    def _arm(self, current: SubjectState, timer) -> None:
        upcoming = self._engine.next_release(current)
        if upcoming is not None:
            timer.set(Timestamp.of(upcoming))


class DecideAlerts(beam.PTransform):
    """Applies the alert policy; identical input yields identical alert ids.

    Args:
      params: the policy (``alerts.engine.params_from_config``).
      streaming: use the stateful timeline (bursts, pile-ons) instead of one
        alert per selected mention.
      store_url: where the streaming mode records its decisions.
    """

    def __init__(
        self, params: PolicyParams, *, streaming: bool = False, store_url: str | None = None
    ):
        super().__init__()
        self._params = params
        self._streaming = streaming
        self._store_url = store_url

    def expand(self, classified):
        """Returns the alerts (batch: one per alert id) and the policy's dead letters."""
        if self._streaming:
            keyed = (
                classified
                | "EventTime" >> beam.ParDo(_StampEventTime())
                | "KeyBySubject"
                >> beam.Map(lambda c: (c.mention.subject, c)).with_output_types(
                    tuple[str, ClassifiedMention]
                )
            )
            out = keyed | "Decide" >> beam.ParDo(
                _DecideOverTimeFn(self._params, self._store_url)
            ).with_outputs(ERRORS, main="alerts")
            return AlertsResult(out.alerts, out[ERRORS])
        alerts, failed = (
            classified | "Decide" >> beam.ParDo(_DecideFn(self._params)).with_exception_handling()
        )
        # The same item can arrive twice (two feeds, a re-run): one alert per id.
        unique = (
            alerts
            | "KeyById" >> beam.Map(lambda a: (a.alert_id, a))
            | "GroupById" >> beam.GroupByKey()
            | "FirstOfEach" >> beam.Map(lambda kv: next(iter(kv[1])))
        )
        return AlertsResult(unique, failed | "DecideErrors" >> ToDeadLetters("DecideAlerts"))
