"""Sending with retries: every channel tried once, then the failing ones retried together.

Every channel of every recipient gets its first attempt before anyone waits:
an email server that is down does not delay a threat on the webhook. Failing
deliveries are then retried together, with exponential backoff (or longer,
when a channel asked for it with ``Retry-After``), until they succeed, fail
permanently, or reach ``notify.delivery.max_attempts``.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mentionwatch.config import DeliverySettings
from mentionwatch.notify.channels import (
    Channel,
    DeliveryError,
    DeliveryReceipt,
    TransientDeliveryError,
)
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.notification import Notification

_log = logging.getLogger(__name__)


class Interrupted(Exception):
    """A stop was requested while a delivery waited to retry; the message goes back to Pub/Sub."""


def backoff(attempt: int, initial: float, maximum: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based): doubling, capped."""
    return min(maximum, initial * (2 ** (attempt - 1)))


@dataclasses.dataclass(eq=False)
class Outgoing:
    """One notification on its way to one channel, with its attempts so far."""

    notification: Notification
    channel: Channel
    ref: str
    payload: Mapping[str, Any]
    attempts: int = 0
    error: DeliveryError | None = None

    def try_once(self) -> DeliveryReceipt | None:
        """Sends once; returns the receipt, or None with the failure kept in ``error``."""
        self.attempts += 1
        try:
            return self.channel.send(self.notification)
        except DeliveryError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the notification
            self.error = TransientDeliveryError(f"{type(exc).__name__}: {exc}")
        return None

    def describe_error(self) -> str:
        """The last failure as ``transient: …`` or ``permanent: …``."""
        error = self.error
        return f"{'transient' if error is None or error.transient else 'permanent'}: {error}"


Settle = Callable[[Outgoing, DeliveryReceipt | None], None]


def _wait_before_retry(failing: Sequence[Outgoing], round_: int, limits: DeliverySettings) -> float:
    """The backoff for this round, stretched to what a channel asked for, within the cap."""
    delay = backoff(round_, limits.backoff_initial_s, limits.backoff_max_s)
    asked = [d.error.retry_after for d in failing if d.error.retry_after is not None]
    if asked:
        delay = min(max(delay, *asked), limits.backoff_max_s)
    return delay


def send_with_retries(
    outgoing: Sequence[Outgoing],
    settle: Settle,
    *,
    limits: DeliverySettings,
    clock: Clock,
    stop: threading.Event,
) -> None:
    """Tries every delivery once, then retries the failing ones together with backoff.

    ``settle(outgoing, receipt_or_None)`` is called once per delivery, as soon
    as it succeeded or was given up on.

    Raises:
      Interrupted: ``stop`` was set while waiting to retry.
    """
    pending, round_ = list(outgoing), 0
    while pending:
        round_ += 1
        failing = []
        for delivery in pending:
            receipt = delivery.try_once()
            if (
                receipt is not None
                or not delivery.error.transient
                or delivery.attempts >= limits.max_attempts
            ):
                settle(delivery, receipt)
            else:
                failing.append(delivery)
        if not failing:
            return
        delay = _wait_before_retry(failing, round_, limits)
        for d in failing:
            _log.info(
                "%s %s to %s via %s failed (attempt %d of %d): %s; retrying in %.1f s",
                d.notification.kind,
                d.ref,
                d.notification.recipient,
                d.channel.key,
                d.attempts,
                limits.max_attempts,
                d.error,
                delay,
            )
        if clock.sleep(delay, stop):
            raise Interrupted()
        pending = failing
