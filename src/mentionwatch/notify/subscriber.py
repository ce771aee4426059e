"""The alerts subscription in, ``Notifier.handle`` per message: the two ways to read it.

One rule for both: a message is acknowledged only when ``Notifier.handle``
answers ``ACK`` (every immediate delivery done or dead-lettered, digest
entries durably queued); otherwise it goes back to Pub/Sub.

* **service** (default, ``AlertStream``): a streaming pull
  (``SubscriberClient.subscribe``) with flow control: at most
  ``notify.delivery.max_messages`` alerts in flight, so a burst of hundreds
  waits in Pub/Sub rather than in memory; the client keeps extending the ack
  deadline of messages still being handled. Due digests are flushed every
  ``flush_interval_s``. Runs until ``stop`` is set (SIGINT/SIGTERM in the
  CLI): deliveries waiting to retry give up, and their messages are handed
  back (ack deadline 0) only after the stream is closed, so Pub/Sub cannot
  hand them straight back to the stopping process.
* **once** (``--once``, ``AlertDrain``): drains the subscription with
  synchronous pulls of up to ``max_messages`` (handled in parallel, their ack
  deadlines extended while they run), stops after ``idle`` seconds without a
  message (or ``wait`` seconds if none came at all). For cron, the demo and
  tests. A drain uses plain pulls because only they can tell "the
  subscription is empty"; they also pick up at once messages a stopped
  service handed back (Google's emulator redelivers those to a new streaming
  pull only after their ack deadline).

``notify.run.run_notify`` picks one and runs it.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Sequence

from mentionwatch.notify.sending import Interrupted
from mentionwatch.notify.service import ACK, NACK, Notifier
from mentionwatch.pubsub.admin import PubSubUnavailable
from mentionwatch.pubsub.clients import subscriber_client
from mentionwatch.store.engine import StoreUnavailable

_log = logging.getLogger(__name__)

LEASE_S = 60  # ack deadline a drain keeps extending for messages it is still handling
MAX_BUG_RETRIES = 5
NACK_DELAY_S = 2.0  # pause before handing back a message that could not be handled now


def check_subscription(subscriber, path: str, host: str | None, timeout: float = 10.0) -> None:
    """Fails fast, with a fix, when the alerts subscription cannot be used."""
    from google.api_core import exceptions, retry

    try:
        subscriber.get_subscription(
            request={"subscription": path}, timeout=timeout, retry=retry.Retry(deadline=timeout)
        )
    except exceptions.NotFound:
        raise PubSubUnavailable(
            f"subscription {path} does not exist; create it with: mentionwatch pubsub up CONFIG"
        ) from None
    except (exceptions.GoogleAPICallError, exceptions.RetryError) as exc:
        where = f"the Pub/Sub emulator at {host}" if host else "Google Cloud Pub/Sub"
        raise PubSubUnavailable(
            f"cannot reach {where} ({type(exc).__name__}) to read {path}"
        ) from None


class _Handler:
    """``Notifier.handle`` guarded: a message that crashes it is retried, then dead-lettered."""

    def __init__(self, notifier: Notifier):
        self.notifier = notifier
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, data: bytes, message_id: str) -> str:
        try:
            return self.notifier.handle(data, message_id)
        except Exception:  # noqa: BLE001 - a bug: never leave the message unanswered
            _log.exception("notify failed on message %s", message_id)
        with self._lock:
            count = self._failures[message_id] = self._failures.get(message_id, 0) + 1
        if count < MAX_BUG_RETRIES:
            return NACK
        try:
            self.notifier.courier.dead_letter(
                ref=f"message:{message_id}",
                recipient="",
                channel="",
                kind="unreadable",
                error=f"notify failed on this message {count} times (see the log)",
                attempts=count,
                payload={"data": data[:20_000].decode("utf-8", "replace")},
            )
        except Exception:  # noqa: BLE001 - logged; the message is nacked and comes back
            _log.exception("could not keep message %s as a dead letter either", message_id)
            return NACK
        return ACK


def _hand_back(subscriber, subscription: str, ack_ids: Sequence[str]) -> None:
    """Makes messages available again at once (ack deadline 0)."""
    if not ack_ids:
        return
    try:
        subscriber.modify_ack_deadline(
            request={
                "subscription": subscription,
                "ack_ids": list(ack_ids),
                "ack_deadline_seconds": 0,
            },
            timeout=10,
        )
        _log.info("handed %d unfinished message(s) back to Pub/Sub", len(ack_ids))
    except Exception as exc:  # noqa: BLE001 - they come back anyway when their ack deadline passes
        _log.warning(
            "could not hand %d message(s) back to Pub/Sub (%s); "
            "they return after their ack deadline",
            len(ack_ids),
            exc,
        )


class AlertStream:
    """Service mode: a streaming pull feeding a Notifier until stopped."""

    def __init__(
        self,
        notifier: Notifier,
        subscription: str,
        host: str | None,
        *,
        max_messages: int,
        nack_delay: float = NACK_DELAY_S,
    ):
        self.notifier = notifier
        self.subscription = subscription
        self.host = host
        self.max_messages = max_messages
        self.nack_delay = nack_delay
        self._handle = _Handler(notifier)
        self._lock = threading.Lock()
        self._handed_back: list[str] = []

    def _callback(self, message) -> None:
        outcome = self._handle(message.data, message.message_id)
        if outcome == ACK:
            message.ack()
        elif self.notifier.stop.is_set():
            with self._lock:
                self._handed_back.append(message.ack_id)  # handed back once the stream is closed
        else:
            # Not now (the store is down, or a bug): wait a little, so a redelivery is not a
            # tight loop.
            self.notifier.stop.wait(self.nack_delay)
            message.nack()

    def _flush(self) -> None:
        """Sends due digests; a store outage is logged and tried again at the next interval."""
        try:
            self.notifier.flush_digests()
        except StoreUnavailable as exc:
            _log.warning("cannot send due digests now (the store is unavailable): %s", exc)
        except Interrupted:
            pass  # stopping: the digest stays claimed and is finished by the next start

    def _open(self, subscriber):
        from google.cloud import pubsub_v1

        return subscriber.subscribe(
            self.subscription,
            callback=self._callback,
            flow_control=pubsub_v1.types.FlowControl(max_messages=self.max_messages),
            await_callbacks_on_shutdown=True,
        )

    @staticmethod
    def _close(future) -> None:
        future.cancel()
        with contextlib.suppress(
            concurrent.futures.CancelledError, concurrent.futures.TimeoutError
        ):
            future.result(timeout=60)  # blocks until the stream and the callbacks are done

    def run(self, stop: threading.Event) -> None:
        """Listens until ``stop`` is set, flushing digests and reconciling on their intervals.

        Raises:
          PubSubUnavailable: the subscription cannot be read.
        """
        subscriber = subscriber_client(self.host)
        try:
            check_subscription(subscriber, self.subscription, self.host)
            future = self._open(subscriber)
            _log.info(
                "listening on %s (streaming pull, at most %d in flight)",
                self.subscription,
                self.max_messages,
            )
            delivery = self.notifier.settings.delivery
            next_flush = time.monotonic() + delivery.flush_interval_s
            next_reconcile = time.monotonic()  # at once: what arrived while nobody listened
            try:
                while not stop.wait(0.2):
                    if future.done():
                        future.result()  # raises what ended the stream
                        break
                    if time.monotonic() >= next_flush:
                        self._flush()
                        next_flush = time.monotonic() + delivery.flush_interval_s
                    if time.monotonic() >= next_reconcile:
                        missed = reconcile_or_log(self.notifier)
                        next_reconcile = time.monotonic() + delivery.reconcile_interval_s
                        if missed and not stop.is_set():
                            # Pub/Sub held back alerts the store says were published: a
                            # stalled stream (the emulator can keep sending to a dead one).
                            # Open a fresh one.
                            _log.warning(
                                "the streaming pull missed %d alert(s); reconnecting", missed
                            )
                            self._close(future)
                            future = self._open(subscriber)
            finally:
                stop.set()  # retries waiting in callbacks give up now
                self._close(future)
                with self._lock:
                    handed, self._handed_back = self._handed_back, []
                _hand_back(subscriber, self.subscription, handed)
        finally:
            subscriber.close()


def reconcile_or_log(notifier: Notifier) -> int:
    """``Notifier.reconcile``; a store outage or a stop is logged, never raised (0 is returned).

    The next round tries again.
    """
    try:
        return notifier.reconcile()
    except StoreUnavailable as exc:
        _log.warning("cannot check the store for undelivered alerts now: %s", exc)
    except Interrupted:
        pass
    return 0


class AlertDrain:
    """Once mode: synchronous pulls until the subscription stays empty for ``idle`` seconds."""

    def __init__(
        self, notifier: Notifier, subscription: str, host: str | None, *, max_messages: int
    ):
        self.notifier = notifier
        self.subscription = subscription
        self.host = host
        self.max_messages = max_messages
        self._handle = _Handler(notifier)

    def _pull(self, subscriber, timeout: float):
        from google.api_core import exceptions

        try:
            response = subscriber.pull(
                request={"subscription": self.subscription, "max_messages": self.max_messages},
                timeout=timeout,
            )
        except exceptions.DeadlineExceeded:
            return []
        return list(response.received_messages)

    def run(self, stop: threading.Event, *, wait: float, idle: float) -> None:
        """Pulls and handles until ``stop``, or the subscription stays empty.

        It waits up to ``wait`` seconds for a first message, then ``idle``
        seconds after each batch.

        Raises:
          PubSubUnavailable: the subscription cannot be read.
        """
        subscriber = subscriber_client(self.host)
        pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.max_messages, thread_name_prefix="notify"
        )
        try:
            check_subscription(subscriber, self.subscription, self.host)
            _log.info("draining %s (at most %d in flight)", self.subscription, self.max_messages)
            reconcile_or_log(self.notifier)  # what a previous notify (or Pub/Sub) left behind
            quiet_since, patience = time.monotonic(), wait
            while not stop.is_set():
                received = self._pull(subscriber, timeout=max(1.0, min(5.0, patience)))
                if not received:
                    if time.monotonic() - quiet_since >= patience:
                        break
                    stop.wait(0.1)
                    continue
                self._handle_batch(subscriber, pool, received)
                quiet_since, patience = time.monotonic(), idle
        finally:
            pool.shutdown(wait=True)
            subscriber.close()

    def _handle_batch(self, subscriber, pool, received) -> None:
        futures = {
            pool.submit(self._handle, m.message.data, m.message.message_id): m.ack_id
            for m in received
        }
        pending = set(futures)
        while pending:
            _, pending = concurrent.futures.wait(pending, timeout=LEASE_S / 3)
            if pending:  # still delivering (retries with backoff): keep the messages leased
                with contextlib.suppress(Exception):
                    subscriber.modify_ack_deadline(
                        request={
                            "subscription": self.subscription,
                            "ack_ids": [futures[f] for f in pending],
                            "ack_deadline_seconds": LEASE_S,
                        },
                        timeout=10,
                    )
        acked = [futures[f] for f in futures if f.result() == ACK]
        if acked:
            subscriber.acknowledge(
                request={"subscription": self.subscription, "ack_ids": acked}, timeout=30
            )
        refused = [futures[f] for f in futures if f.result() != ACK]
        if refused and not self.notifier.stop.is_set():
            self.notifier.stop.wait(
                NACK_DELAY_S
            )  # the store is down: do not pull them straight back
        _hand_back(subscriber, self.subscription, refused)
