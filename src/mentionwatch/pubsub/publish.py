"""``PublishAlerts``: record every alert, then publish it, then mark it published.

The order is what makes alerts impossible to lose silently:

1. the alert is written to the history store as ``pending`` (an alert
   already ``published`` by an earlier run is skipped: same content, same id);
2. it is published to the alerts topic, JSON body plus the attributes
   ``subject``, ``label``, ``severity`` and ``alert_id``;
3. once Pub/Sub acknowledges it, the row becomes ``published`` with the
   message id.

If publishing fails after the client's retries, the alert stays ``pending``
with the error recorded, a dead letter says so, and
``mentionwatch pubsub republish CONFIG`` sends what is pending later with the
same alert ids, so subscribers deduplicate. Without a ``pubsub`` block the
alert is recorded with status ``local``.

**Retries (Dataflow retries a failed bundle; a worker can die).** Step 1
reads each alert's state, so a retried bundle skips every alert a previous
attempt marked published; step 3 is retried in place a few times
(``MARK_ATTEMPTS``) rather than failing the bundle, because a failed bundle
publishes again everything it had published; and the store keeps the first
mark of an alert (``mark_published`` never overwrites a published row). What
no publisher can close is a crash between Pub/Sub's acknowledgement and
step 3: that alert is published again. Every copy carries the same
``alert_id`` (attribute and body), and subscribers deduplicate on it:
``mentionwatch notify`` records each alert it takes in (``notify_received``)
and each delivery, so a second copy is acknowledged without a second
notification (docs/alerts.md).
"""

from __future__ import annotations

import json
import logging
import time
import typing
from collections.abc import Sequence

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.pubsub.clients import publisher_client
from mentionwatch.records import Alert, DeadLetter
from mentionwatch.store import HistoryStore, StoreUnavailable

_log = logging.getLogger(__name__)

ERRORS = "errors"
# Attempts at marking a batch published before the bundle is failed (and retried).
MARK_ATTEMPTS = 4


class PublishResult(typing.NamedTuple):
    """What ``PublishAlerts`` produces: alerts published, dead letters for those kept pending."""

    published: beam.PCollection
    errors: beam.PCollection


def encode(alert: Alert) -> bytes:
    """An alert's message body: its JSON, keys sorted, UTF-8."""
    return json.dumps(alert.to_json(), ensure_ascii=False, sort_keys=True).encode("utf-8")


def publish_notice(client, topic: str, body: bytes, what: str, **attributes: str) -> bool:
    """Publishes one operator notice (source health, items given up) and waits for the answer.

    Returns whether Pub/Sub accepted it; a refusal is logged, never raised
    (the caller has logged the notice itself).
    """
    try:
        client.publish(topic, body, **attributes).result(timeout=30)
    except Exception as exc:  # noqa: BLE001 - the client raises many types; all mean "not published"
        _log.warning("could not publish the %s to %s: %s", what, topic, type(exc).__name__)
        return False
    return True


class AlertPublisher:
    """Publishes alerts to one topic and waits for Pub/Sub's acknowledgement.

    Args:
      topic: ``projects/P/topics/T``.
      emulator_host: ``HOST:PORT`` of the emulator, or None for Google Cloud.
      deadline: seconds the client keeps retrying one publish before giving up.
    """

    def __init__(self, topic: str, emulator_host: str | None, deadline: float = 60.0):
        from google.api_core import retry as retries

        self.topic = topic
        self.deadline = deadline
        self._client = publisher_client(emulator_host)
        self._retry = retries.Retry(initial=0.25, maximum=10.0, multiplier=2.0, deadline=deadline)

    def publish(self, alerts: Sequence[Alert]) -> tuple[dict[str, str], dict[str, str]]:
        """Returns ``(alert_id → message_id, alert_id → error)``."""
        futures = {
            alert.alert_id: self._client.publish(
                self.topic, encode(alert), retry=self._retry, **alert.attributes()
            )
            for alert in alerts
        }
        sent, failed = {}, {}
        for alert_id, future in futures.items():
            try:
                sent[alert_id] = future.result(timeout=self.deadline + 30)
            except Exception as exc:  # noqa: BLE001 - the client raises many types; all mean "not sent"
                failed[alert_id] = f"{type(exc).__name__}: {exc}"
        return sent, failed

    def close(self) -> None:
        """Stops the client (sends what is still batched)."""
        self._client.stop()


class _PublishBatchFn(beam.DoFn):
    def __init__(self, store_url: str, topic: str | None, emulator_host: str | None):
        self._store_url = store_url
        self._topic = topic
        self._emulator_host = emulator_host
        self._published = Metrics.counter("mentionwatch.alerts", "published")
        self._recorded = Metrics.counter("mentionwatch.alerts", "recorded")
        self._failed = Metrics.counter("mentionwatch.alerts", "publish_failed")
        self._already = Metrics.counter("mentionwatch.alerts", "already_published")
        self._local = Metrics.counter("mentionwatch.alerts", "local")

    def setup(self):
        self._store = HistoryStore(self._store_url)
        self._publisher = AlertPublisher(self._topic, self._emulator_host) if self._topic else None

    def process(self, batch: Sequence[Alert]):
        by_id = {a.alert_id: a for a in batch}
        if self._publisher is None:
            self._store.record_alerts(list(by_id.values()), status="local")
            self._recorded.inc(len(by_id))
            self._local.inc(len(by_id))
            yield from by_id.values()
            return
        to_send = self._store.record_alerts(list(by_id.values()))
        self._recorded.inc(len(by_id))
        self._already.inc(len(by_id) - len(to_send))  # a re-run: published before, not again
        sent, failed = self._publisher.publish([by_id[i] for i in to_send])
        self._mark_published(sent)
        if failed:
            self._store.mark_failed(failed)
        self._published.inc(len(sent))
        self._failed.inc(len(failed))
        for alert_id in sent:
            yield by_id[alert_id]
        for alert_id, error in failed.items():
            _log.warning("alert %s not published, kept pending: %s", alert_id, error)
            yield beam.pvalue.TaggedOutput(
                ERRORS,
                DeadLetter(
                    stage="PublishAlerts",
                    ref=alert_id,
                    error=f"kept pending for republish: {error}",
                ),
            )

    def _mark_published(self, sent: dict[str, str]) -> None:
        """Marks what Pub/Sub accepted, retrying here: failing the bundle would publish again."""
        for attempt in range(1, MARK_ATTEMPTS + 1):
            try:
                self._store.mark_published(sent)
                return
            except StoreUnavailable as exc:
                if attempt == MARK_ATTEMPTS:
                    raise  # the runner retries the bundle; subscribers fold the copies
                _log.warning("marking %d alert(s) published failed, retrying: %s", len(sent), exc)
                time.sleep(0.5 * 2**attempt)

    def teardown(self):
        if getattr(self, "_publisher", None) is not None:
            self._publisher.close()
        if getattr(self, "_store", None) is not None:
            self._store.close()


class PublishAlerts(beam.PTransform):
    """Alert → (recorded, then published) Alert; failures go to ``errors``.

    Args:
      store_url: the history store, where every alert is recorded first.
      topic: the alerts topic path, or None to only record (no ``pubsub`` block).
      emulator_host: the emulator's ``HOST:PORT`` when using it.
      max_batch: alerts recorded and published together.
    """

    def __init__(
        self, store_url: str, topic: str | None, emulator_host: str | None, max_batch: int = 100
    ):
        super().__init__()
        self._fn = _PublishBatchFn(store_url, topic, emulator_host)
        self._max_batch = max_batch

    def expand(self, alerts):
        """Returns the alerts published (or recorded locally) and the dead letters."""
        batches = alerts | "Batch" >> beam.BatchElements(
            min_batch_size=1, max_batch_size=self._max_batch
        )
        out = batches | "Publish" >> beam.ParDo(self._fn).with_outputs(ERRORS, main="published")
        return PublishResult(out.published, out[ERRORS])
