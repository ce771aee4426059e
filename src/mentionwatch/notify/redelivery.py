"""Redelivering dead letters once the operator fixed what failed (``--retry-dead-letters``).

Each open dead letter is rendered again from the alert bodies it kept and
sent with the usual retries; one that gets through is resolved and its
delivery recorded, one that fails again keeps its row with the new error.
Unreadable messages cannot be redelivered and stay as they are, as do
letters whose recipient or channel is no longer in the config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mentionwatch.notify.alert import from_mapping
from mentionwatch.notify.channels import DeliveryReceipt
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.courier import Courier
from mentionwatch.notify.recipients import Recipients
from mentionwatch.notify.render.digest import Queued, render_digest
from mentionwatch.notify.render.immediate import render_immediate
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.sending import Outgoing
from mentionwatch.notify.store import NotifyStore


def _outgoing(letter: Mapping[str, Any], recipients: Recipients, clock: Clock) -> Outgoing | None:
    """The letter's notification, rendered again for its channel; None when it cannot be."""
    name = letter["recipient"]
    channel = next(
        (c for c in recipients.channels.get(name, ()) if c.key == letter["channel"]), None
    )
    alerts = (
        [from_mapping(body) for body in letter["payload"].get("alerts", [])]
        if letter["kind"] != "unreadable"
        else []
    )
    if name not in recipients.by_name or channel is None or not alerts:
        return None
    reader, now = recipients.readers[name], clock.now()
    if letter["kind"] == "immediate":
        notification = render_immediate(alerts[0], reader, now)
    else:
        reasons = letter["payload"].get("reasons") or ["digest"] * len(alerts)
        entries = [Queued(a, r) for a, r in zip(alerts, reasons, strict=False)]
        notification = render_digest(letter["ref"], entries, reader, now, None)
    return Outgoing(notification, channel, letter["ref"], letter["payload"])


def retry_dead_letters(
    store: NotifyStore,
    recipients: Recipients,
    courier: Courier,
    *,
    clock: Clock,
    report: NotifyReport,
) -> tuple[int, int]:
    """Tries every open dead letter again, with the usual retries; returns (delivered, still dead).

    Raises:
      Interrupted: ``stop`` was set while a redelivery waited to retry.
    """
    letters: dict[int, Mapping[str, Any]] = {}
    outgoing = []
    for letter in store.dead_letters():
        delivery = _outgoing(letter, recipients, clock)
        if delivery is not None:
            outgoing.append(delivery)
            letters[id(delivery)] = letter
    outcome = {"delivered": 0, "failed": 0}

    def settle(delivery: Outgoing, receipt: DeliveryReceipt | None) -> None:
        letter, now = letters[id(delivery)], clock.now()
        if receipt is None:
            store.note_dead_letter_attempt(
                letter["id"], delivery.describe_error(), delivery.attempts, now
            )
            outcome["failed"] += 1
            return
        store.record_delivery(
            ref=letter["ref"],
            recipient=letter["recipient"],
            channel=letter["channel"],
            kind=letter["kind"],
            status="sent",
            attempts=delivery.attempts,
            detail=receipt.detail,
            now=now,
        )
        store.resolve_dead_letter(letter["id"], now)
        report.redelivered_to(letter["kind"], letter["ref"], letter["recipient"], letter["channel"])
        outcome["delivered"] += 1

    courier.send(outgoing, settle)
    return outcome["delivered"], outcome["failed"]
