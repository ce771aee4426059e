"""The courier: delivers notifications and settles each one, sent or dead-lettered.

A (ref, recipient, channel) is settled once a ``notify_deliveries`` row says
``sent`` or ``dead``; a delivery that finds its row skips the channel, so a
redelivered Pub/Sub message sends nothing twice. What cannot be delivered is
kept in ``notify_dead_letters`` and the operator is told on the operator
channels (ids and errors only, never alert text).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mentionwatch.config import DeliverySettings
from mentionwatch.notify.channels import Channel, DeliveryReceipt
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.notification import Notification
from mentionwatch.notify.render.operator import render_operator_notice
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.sending import Outgoing, Settle, send_with_retries
from mentionwatch.notify.store import NotifyStore

_log = logging.getLogger(__name__)


class Courier:
    """Sends notifications with retries and records every outcome in the store and the report.

    Args:
      store: where deliveries and dead letters are recorded.
      limits: the config's ``notify.delivery`` block (attempts, backoff).
      clock: the time source.
      stop: set to make waiting retries give up (``Interrupted``).
      report: the run's counters.
      operator: channels that receive dead-letter and overdue notices.
      on_delivered: called with one line per settled delivery (never alert text).
    """

    def __init__(
        self,
        store: NotifyStore,
        limits: DeliverySettings,
        *,
        clock: Clock,
        stop: threading.Event,
        report: NotifyReport,
        operator: Sequence[Channel] = (),
        on_delivered: Callable[[str], None] | None = None,
    ):
        self.store = store
        self.limits = limits
        self.clock = clock
        self.stop = stop
        self.report = report
        self.operator = tuple(operator)
        self._on_delivered = on_delivered

    def deliver(self, outgoing: Sequence[Outgoing]) -> None:
        """Delivers what is not settled yet, recording each outcome as it happens.

        Raises:
          Interrupted: ``stop`` was set while a delivery waited to retry.
        """
        todo = []
        for delivery in outgoing:
            status = self.store.delivery_status(
                delivery.ref, delivery.notification.recipient, delivery.channel.key
            )
            if status is None:
                todo.append(delivery)
            else:
                self.report.count("skipped_duplicates")
        self.send(todo, self._settle)

    def send(self, outgoing: Sequence[Outgoing], settle: Settle) -> None:
        """``sending.send_with_retries`` under this courier's limits, clock and stop."""
        send_with_retries(outgoing, settle, limits=self.limits, clock=self.clock, stop=self.stop)

    def _settle(self, delivery: Outgoing, receipt: DeliveryReceipt | None) -> None:
        recipient, kind, ref, key = (
            delivery.notification.recipient,
            delivery.notification.kind,
            delivery.ref,
            delivery.channel.key,
        )
        now = self.clock.now()
        if receipt is not None:
            self.store.record_delivery(
                ref=ref,
                recipient=recipient,
                channel=key,
                kind=kind,
                status="sent",
                attempts=delivery.attempts,
                detail=receipt.detail,
                now=now,
            )
            self.report.sent_to(kind, ref, recipient, key)
            _log.info(
                "%s %s delivered to %s via %s (%s)", kind, ref, recipient, key, receipt.detail
            )
            self._tell(f"{kind} {ref} → {recipient} via {key}: sent")
            return
        error = delivery.describe_error()
        self.dead_letter(
            ref=ref,
            recipient=recipient,
            channel=key,
            kind=kind,
            error=error,
            attempts=delivery.attempts,
            payload=delivery.payload,
        )
        self._tell(
            f"{kind} {ref} → {recipient} via {key}: "
            f"dead-lettered after {delivery.attempts} attempt(s)"
        )
        self.store.record_delivery(
            ref=ref,
            recipient=recipient,
            channel=key,
            kind=kind,
            status="dead",
            attempts=delivery.attempts,
            error=error,
            now=now,
        )

    def _tell(self, line: str) -> None:
        if self._on_delivered is not None:
            self._on_delivered(f"{self.clock.now():%Y-%m-%d %H:%M:%S %Z} {line}")

    def dead_letter(
        self,
        *,
        ref: str,
        recipient: str,
        channel: str,
        kind: str,
        error: str,
        attempts: int,
        payload: Mapping[str, Any],
    ) -> None:
        """Keeps an undeliverable notification in notify_dead_letters and tells the operator."""
        now = self.clock.now()
        letter = self.store.write_dead_letter(
            ref=ref,
            recipient=recipient,
            channel=channel,
            kind=kind,
            error=error,
            attempts=attempts,
            payload=payload,
            now=now,
        )
        self.report.count("dead_lettered")
        _log.warning(
            "%s notification %s for %s via %s dead-lettered after %d attempt(s): %s "
            "(notify_dead_letters id %d)",
            kind,
            ref,
            recipient or "-",
            channel or "-",
            attempts,
            error,
            letter,
        )
        notice = render_operator_notice(
            letter_id=letter,
            ref=ref,
            recipient=recipient,
            channel=channel,
            kind=kind,
            attempts=attempts,
            error=error,
            now=now,
        )
        self.tell_operator(notice)

    def tell_operator(self, notice: Notification) -> None:
        """Sends ``notice`` on every operator channel; a failure is only logged.

        The caller's WARNING has already told the operator in the log.
        """
        for operator in self.operator:
            try:
                operator.send(notice)
            except Exception as exc:  # noqa: BLE001 - nothing else to do
                _log.error("could not notify the operator via %s: %s", operator.key, exc)
