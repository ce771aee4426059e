"""The Notifier: one alert in, the right messages out, each exactly once.

``Notifier.handle(data, message_id)`` is called for every Pub/Sub message and
answers ``ACK`` or ``NACK``. Its timeline for one alert:

1. The body is read (``alert.parse_alert``). An unreadable body can never
   succeed: it is kept as a dead letter (kind ``unreadable``), the operator is
   told, and the message is acknowledged.
2. For each recipient of the alert's subject (``policy.receives``), unless
   the alert is already queued for them: ``policy.route`` says immediate,
   digest, or held for quiet hours.
3. Immediate: the message is rendered for that recipient (masked unless they
   opted in to full text) and sent on each of their channels that has no
   ``notify_deliveries`` row for this alert yet. Every channel of every
   recipient is tried once before anyone waits; the failing ones are then
   retried together with exponential backoff. After ``max_attempts`` (or at
   once, for a permanent error) the notification becomes a dead letter and
   the operator is told. Either way the channel is settled (a row is written)
   and a redelivery skips it.
4. Digest or held: the alert is queued in ``notify_digest_queue`` (a second
   queueing of the same pair changes nothing).
5. ``ACK`` once every recipient is settled. A stop request while waiting to
   retry, or an unreachable store, answers ``NACK``: Pub/Sub redelivers the
   message and step 3 skips the channels already done.

``flush_digests`` (on a timer, and on the way out of ``--once``) first
finishes digests a previous run claimed but did not finish, then sends one
digest per recipient with anything due.

The only window for a double send is a crash after a channel accepted a
message and before its delivery row was written; webhook requests carry a
stable ``X-Mentionwatch-Delivery`` id and emails a stable ``Message-ID`` so
the receiving side can fold even that.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import pathlib
import threading
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from mentionwatch.config import NotifySettings, Recipient
from mentionwatch.notify.alert import IncomingAlert, UnreadableAlert, from_mapping, parse_alert
from mentionwatch.notify.channels import (
    Channel,
    DeliveryError,
    DeliveryReceipt,
    TransientDeliveryError,
    build_channel,
)
from mentionwatch.notify.clock import Clock, SystemClock
from mentionwatch.notify.policy import HELD, IMMEDIATE, backoff, receives, route
from mentionwatch.notify.render import (
    Notification,
    Queued,
    Reader,
    render_digest,
    render_immediate,
    render_operator_notice,
    render_overdue_notice,
)
from mentionwatch.notify.store import NotifyStore
from mentionwatch.store.engine import StoreUnavailable

_log = logging.getLogger(__name__)

ACK = "ack"
NACK = "nack"


class _KeyedLocks:
    """One lock per key (alert id), existing only while someone holds or waits for it."""

    def __init__(self):
        self._guard = threading.Lock()
        self._locks: dict[str, list] = {}  # key -> [lock, holders and waiters]

    @contextlib.contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            entry = self._locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._guard:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[key]


class Interrupted(Exception):
    """A stop was requested while a delivery waited to retry; the message goes back to Pub/Sub."""


@dataclasses.dataclass
class NotifyReport:
    """What one run did. ``received`` holds alert bodies (by id) only when asked to keep them.

    ``received_count`` counts readable messages, a redelivered alert included.
    """

    received_count: int = 0
    unreadable: int = 0
    unrouted: int = 0
    sent: int = 0
    skipped_duplicates: int = 0
    queued: int = 0
    held: int = 0
    digests: int = 0
    dead_lettered: int = 0
    redelivered: int = 0
    from_store: int = 0  # alerts Pub/Sub did not bring in time, delivered from the store's record
    received: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    delivered: list[tuple[str, str, str, str]] = dataclasses.field(
        default_factory=list
    )  # (kind, ref, recipient, channel)

    def lines(self) -> list[str]:
        return [
            f"alerts received   {self.received_count}"
            + (f" (+{self.unreadable} unreadable)" if self.unreadable else ""),
            f"sent immediately  {sum(1 for d in self.delivered if d[0] == 'immediate')} message(s)",
            f"queued for digest {self.queued}"
            + (f" (+{self.held} held for quiet hours)" if self.held else ""),
            f"digests sent      {self.digests} ({sum(1 for d in self.delivered if d[0] == 'digest')} message(s))",
            f"already delivered {self.skipped_duplicates} (skipped)",
            f"from the store    {self.from_store} (published, not brought by Pub/Sub in time)",
            f"dead letters      {self.dead_lettered}"
            + (f", {self.redelivered} redelivered" if self.redelivered else ""),
        ]


class Notifier:
    """Routes, renders and delivers alerts; see the module docstring for the timeline.

    Args:
      settings: the config's ``notify`` block.
      subjects: every subject name in the config (for "every subject" recipients).
      store: where deliveries, the digest queue and dead letters live.
      channels: recipient name → that recipient's channels.
      operator: channels that receive dead-letter notices.
      clock: the time source (``clock.ManualClock`` in tests).
      stop: set to make waiting retries give up and answer NACK.
      keep_received: keep every received alert body in the report (demo, tests).
      on_delivered: called with one line per settled delivery (what, to whom,
        how; never any alert text): the notify service prints it.
    """

    def __init__(
        self,
        settings: NotifySettings,
        subjects: Sequence[str],
        store: NotifyStore,
        channels: Mapping[str, Sequence[Channel]],
        operator: Sequence[Channel] = (),
        *,
        clock: Clock | None = None,
        stop: threading.Event | None = None,
        keep_received: bool = False,
        on_delivered: Callable[[str], None] | None = None,
    ):
        self.settings = settings
        self._on_delivered = on_delivered
        self.store = store
        self.clock = clock or SystemClock()
        self.stop = stop or threading.Event()
        self.report = NotifyReport()
        self._keep = keep_received
        self._recipients: dict[str, Recipient] = {r.name: r for r in settings.recipients}
        self._channels = {name: tuple(channels.get(name, ())) for name in self._recipients}
        self._operator = tuple(operator)
        self._readers = {
            r.name: Reader(
                r.name,
                r.role,
                r.full_text,
                zoneinfo.ZoneInfo(settings.timezone_of(r)),
                tuple(r.subjects or subjects),
            )
            for r in settings.recipients
        }
        self._locks = _KeyedLocks()
        self._report_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._warned: set[str] = set()

    @classmethod
    def from_settings(
        cls,
        settings: NotifySettings,
        subjects: Sequence[str],
        store: NotifyStore,
        *,
        env: Mapping[str, str] | None = None,
        base_dir: pathlib.Path | None = None,
        console: TextIO | None = None,
        **kwargs: Any,
    ) -> Notifier:
        """Builds every channel from the config (secrets read now; ``ChannelSetupError`` if one is missing)."""

        def build(spec, where):
            return build_channel(
                spec, smtp=settings.smtp, where=where, env=env, base_dir=base_dir, console=console
            )

        channels = {
            r.name: [
                build(c, f"notify.recipients[{i}].channels[{j}]") for j, c in enumerate(r.channels)
            ]
            for i, r in enumerate(settings.recipients)
        }
        operator = [
            build(c, f"notify.operator.channels[{j}]")
            for j, c in enumerate(settings.operator.channels)
        ]
        return cls(settings, subjects, store, channels, operator, **kwargs)

    def close(self) -> None:
        for channel in [c for chans in self._channels.values() for c in chans] + list(
            self._operator
        ):
            channel.close()

    def _count(self, field: str, amount: int = 1) -> None:
        with self._report_lock:
            setattr(self.report, field, getattr(self.report, field) + amount)

    # ------------------------------------------------------------------ one message

    def handle(self, data: bytes, message_id: str = "", *, via: str = "pubsub") -> str:
        """Processes one alert body (from Pub/Sub, or the store: ``via``); returns ``ACK`` or ``NACK``."""
        if self.stop.is_set():
            return NACK
        try:
            try:
                alert = parse_alert(data)
            except UnreadableAlert as exc:
                self._count("unreadable")
                self.dead_letter(
                    ref=f"message:{message_id or '?'}",
                    recipient="",
                    channel="",
                    kind="unreadable",
                    error=str(exc),
                    attempts=1,
                    payload={"data": data[:20_000].decode("utf-8", "replace")},
                )
                return ACK
            with self._report_lock:
                self.report.received_count += 1
                if self._keep:
                    self.report.received[alert.alert_id] = dict(alert.body)
            # Two copies of one alert at once: the second waits, then finds it settled.
            with self._locks.hold(alert.alert_id):
                outcome = self._dispatch(alert)
                self.store.mark_received(
                    alert.alert_id, via=via, outcome=outcome, now=self.clock.now()
                )
            return ACK
        except Interrupted:
            return NACK
        except StoreUnavailable as exc:
            _log.warning(
                "store unavailable while handling message %s; it will be redelivered: %s",
                message_id,
                exc,
            )
            return NACK

    def _dispatch(self, alert: IncomingAlert) -> str:
        """Routes and delivers one alert; returns ``routed`` or ``unrouted``."""
        targets = [r for r in self._recipients.values() if receives(r, alert)]
        if not targets:
            self._count("unrouted")
            _log.warning(
                "alert %s (%s, %s) has no recipient in notify.recipients; acknowledged without notifying anyone",
                alert.alert_id,
                alert.subject,
                alert.label,
            )
            return "unrouted"
        now = self.clock.now()
        deliveries: list[_Delivery] = []
        for recipient in targets:
            if self.store.queue(alert_id=alert.alert_id, recipient=recipient.name):
                self._count("skipped_duplicates")  # already waiting for (or sent in) a digest
                continue
            started = bool(self.store.deliveries(ref=alert.alert_id, recipient=recipient.name))
            reader = self._readers[recipient.name]
            decision = route(recipient, alert, now, reader.zone)
            if started or decision.how == IMMEDIATE:
                notification = render_immediate(alert, reader, now)
                payload = {"alerts": [dict(alert.body)]}
                deliveries += [
                    _Delivery(notification, c, alert.alert_id, payload)
                    for c in self._channels[recipient.name]
                ]
            else:
                self.store.enqueue(
                    alert, recipient.name, reason=decision.how, due_at=decision.due_at, now=now
                )
                self._count("held" if decision.how == HELD else "queued")
                _log.info(
                    "alert %s queued for %s (%s, due %s)",
                    alert.alert_id,
                    recipient.name,
                    decision.how,
                    decision.due_at.isoformat() if decision.due_at else "-",
                )
        self._deliver(deliveries)
        return "routed"

    # ------------------------------------------------------------------ the store's record

    def reconcile(self) -> int:
        """Delivers, from the store, published alerts Pub/Sub has not brought in time; returns how many.

        The store is the source of truth: an alert recorded as published
        ``reconcile_after_s`` ago (and within ``reconcile_window_h``) that
        ``notify`` has not taken in is handled from its stored body, exactly
        as if Pub/Sub had delivered it. Its id makes the Pub/Sub copy, when it
        comes, a duplicate that sends nothing. Then alerts nobody has been
        told about after ``notice_after_s`` are reported to the operator, once.
        """
        settings, now = self.settings.delivery, self.clock.now()
        since = now - dt.timedelta(hours=settings.reconcile_window_h)
        missing = self.store.unreceived(
            published_before=now - dt.timedelta(seconds=settings.reconcile_after_s),
            published_since=since,
        )
        handled = 0
        for alert_id, body in missing:
            if self.stop.is_set():
                break
            data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
            try:
                outcome = self.handle(data, f"store:{alert_id}", via="store")
            except Exception:  # noqa: BLE001 - a bug: keep going with the others; the next round tries this one again
                _log.exception("notify failed on stored alert %s", alert_id)
                continue
            if outcome == ACK:
                handled += 1
                # An unreadable stored body was dead-lettered by handle(): it must not come back every round.
                self.store.mark_received(
                    alert_id, via="store", outcome="unreadable", now=self.clock.now()
                )
        if missing:
            self._count("from_store", handled)
            _log.warning(
                "%d published alert(s) had not arrived from Pub/Sub after %.0f s; %d delivered from the store",
                len(missing),
                settings.reconcile_after_s,
                handled,
            )
        self._notice_overdue(now, since)
        return handled

    def _notice_overdue(self, now: dt.datetime, since: dt.datetime) -> None:
        after = self.settings.delivery.notice_after_s
        late = self.store.overdue(
            published_before=now - dt.timedelta(seconds=after), published_since=since
        )
        if not late:
            return
        _log.warning(
            "%d alert(s) published more than %.0f s ago have not reached anyone: %s (mentionwatch alerts status CONFIG)",
            len(late),
            after,
            ", ".join(f"{a.alert_id} ({a.state})" for a in late[:10]),
        )
        self._tell_operator(render_overdue_notice(late, after_s=after, now=now))
        self.store.mark_noticed([a.alert_id for a in late], now)

    def _tell_operator(self, notice: Notification) -> None:
        """Sends a notice on every operator channel; a failure is logged (the caller's WARNING has
        already told the operator in the log)."""
        for operator in self._operator:
            try:
                operator.send(notice)
            except Exception as exc:  # noqa: BLE001 - nothing else to do
                _log.error("could not notify the operator via %s: %s", operator.key, exc)

    # ------------------------------------------------------------------ delivery

    def _deliver(self, deliveries: Sequence[_Delivery]) -> None:
        """Delivers what is not settled yet, recording each outcome as it happens."""
        todo = []
        for delivery in deliveries:
            if (
                self.store.delivery_status(
                    delivery.ref, delivery.notification.recipient, delivery.channel.key
                )
                is None
            ):
                todo.append(delivery)
            else:
                self._count("skipped_duplicates")
        self._send_with_retries(todo, self._settle)

    def _send_with_retries(self, deliveries: Sequence[_Delivery], settle) -> None:
        """Tries every delivery once, then retries the failing ones together with backoff.

        Every channel of every recipient gets its first attempt before anyone
        waits: an email server that is down does not delay a threat on the
        webhook. ``settle(delivery, receipt_or_None)`` is called once per
        delivery, as soon as it succeeded or was given up on.

        Raises:
          Interrupted: ``stop`` was set while waiting to retry.
        """
        limits = self.settings.delivery
        pending, round_ = list(deliveries), 0
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
            delay = backoff(round_, limits.backoff_initial_s, limits.backoff_max_s)
            asked = [d.error.retry_after for d in failing if d.error.retry_after is not None]
            if asked:
                delay = min(max(delay, *asked), limits.backoff_max_s)
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
            if self.clock.sleep(delay, self.stop):
                raise Interrupted()
            pending = failing

    def _settle(self, delivery: _Delivery, receipt: DeliveryReceipt | None) -> None:
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
            with self._report_lock:
                self.report.sent += 1
                self.report.delivered.append((kind, ref, recipient, key))
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
            f"{kind} {ref} → {recipient} via {key}: dead-lettered after {delivery.attempts} attempt(s)"
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
        """Keeps a notification that cannot be delivered in notify_dead_letters and tells the operator."""
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
        self._count("dead_lettered")
        _log.warning(
            "%s notification %s for %s via %s dead-lettered after %d attempt(s): %s (notify_dead_letters id %d)",
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
        self._tell_operator(notice)

    # ------------------------------------------------------------------ digests

    def flush_digests(self, *, force: bool = False) -> int:
        """Sends the digests that are due (every queued one with ``force``); returns how many were sent.

        Digests a previous run claimed but did not finish are finished first,
        under their original id, so channels they already reached are skipped.
        """
        sent = 0
        with self._flush_lock:
            for digest, rows in self.store.unfinished_digests().items():
                sent += self._send_digest_or_dead_letter(digest, rows)
            now = self.clock.now()
            for name in self.store.due_recipients(None if force else now):
                if name not in self._recipients:
                    if name not in self._warned:
                        self._warned.add(name)
                        _log.warning(
                            "digest entries wait for recipient %r, who is no longer in notify.recipients; kept",
                            name,
                        )
                    continue
                claimed = self.store.claim_digest(name)
                if claimed is not None:
                    sent += self._send_digest_or_dead_letter(*claimed)
        return sent

    def _send_digest_or_dead_letter(self, digest: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """``_send_digest``; a digest that cannot be built is dead-lettered whole, so it never wedges the queue.

        Channel failures are handled inside ``_deliver``; what lands here is a
        digest that cannot even be rendered (e.g. a stored alert body this
        version cannot read). Its alerts are kept in the dead letter, and the
        digest is finished so the next flush (and the next start) moves on.
        """
        try:
            return self._send_digest(digest, rows)
        except (StoreUnavailable, Interrupted):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad digest must not stop every later one
            self.dead_letter(
                ref=digest,
                recipient=rows[0]["recipient"],
                channel="",
                kind="digest",
                error=f"digest could not be built: {type(exc).__name__}: {exc}",
                attempts=1,
                payload={
                    "alerts": [dict(row["body"]) for row in rows],
                    "reasons": [row["reason"] for row in rows],
                },
            )
            self.store.finish_digest(digest, self.clock.now())
            return 0

    def _send_digest(self, digest: str, rows: Sequence[Mapping[str, Any]]) -> int:
        name = rows[0]["recipient"]
        recipient = self._recipients.get(name)
        if recipient is None:
            return 0
        now = self.clock.now()
        entries = [Queued(from_mapping(row["body"]), row["reason"]) for row in rows]
        since = self.store.last_digest_at(name)
        notification = render_digest(digest, entries, self._readers[name], now, since)
        payload = {
            "alerts": [dict(row["body"]) for row in rows],
            "reasons": [row["reason"] for row in rows],
        }
        self._deliver(
            [_Delivery(notification, channel, digest, payload) for channel in self._channels[name]]
        )
        self.store.finish_digest(digest, now)
        self._count("digests")
        return 1

    # ------------------------------------------------------------------ dead letters

    def retry_dead_letters(self) -> tuple[int, int]:
        """Tries every open dead letter again (with the usual retries); returns (delivered, still dead).

        For the operator, after fixing what failed (``notify --retry-dead-letters``).
        Unreadable messages cannot be redelivered and stay as they are.
        """
        deliveries, letters = [], {}
        for letter in self.store.dead_letters():
            recipient = self._recipients.get(letter["recipient"])
            channel = next(
                (
                    c
                    for c in self._channels.get(letter["recipient"], ())
                    if c.key == letter["channel"]
                ),
                None,
            )
            alerts = (
                [from_mapping(body) for body in letter["payload"].get("alerts", [])]
                if letter["kind"] != "unreadable"
                else []
            )
            if recipient is None or channel is None or not alerts:
                continue
            reader, now = self._readers[recipient.name], self.clock.now()
            if letter["kind"] == "immediate":
                notification = render_immediate(alerts[0], reader, now)
            else:
                reasons = letter["payload"].get("reasons") or ["digest"] * len(alerts)
                notification = render_digest(
                    letter["ref"],
                    [Queued(a, r) for a, r in zip(alerts, reasons, strict=False)],
                    reader,
                    now,
                    None,
                )
            delivery = _Delivery(notification, channel, letter["ref"], letter["payload"])
            deliveries.append(delivery)
            letters[id(delivery)] = letter
        outcome = {"delivered": 0, "failed": 0}

        def settle(delivery: _Delivery, receipt: DeliveryReceipt | None) -> None:
            letter, now = letters[id(delivery)], self.clock.now()
            if receipt is None:
                self.store.note_dead_letter_attempt(
                    letter["id"], delivery.describe_error(), delivery.attempts, now
                )
                outcome["failed"] += 1
                return
            self.store.record_delivery(
                ref=letter["ref"],
                recipient=letter["recipient"],
                channel=letter["channel"],
                kind=letter["kind"],
                status="sent",
                attempts=delivery.attempts,
                detail=receipt.detail,
                now=now,
            )
            self.store.resolve_dead_letter(letter["id"], now)
            with self._report_lock:
                self.report.redelivered += 1
                self.report.delivered.append(
                    (letter["kind"], letter["ref"], letter["recipient"], letter["channel"])
                )
            outcome["delivered"] += 1

        self._send_with_retries(deliveries, settle)
        return outcome["delivered"], outcome["failed"]


@dataclasses.dataclass(eq=False)
class _Delivery:
    """One notification on its way to one channel, with its attempts so far."""

    notification: Notification
    channel: Channel
    ref: str
    payload: Mapping[str, Any]
    attempts: int = 0
    error: DeliveryError | None = None

    def try_once(self) -> DeliveryReceipt | None:
        self.attempts += 1
        try:
            return self.channel.send(self.notification)
        except DeliveryError as exc:
            self.error = exc
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the notification: retry, then dead-letter
            self.error = TransientDeliveryError(f"{type(exc).__name__}: {exc}")
        return None

    def describe_error(self) -> str:
        error = self.error
        return f"{'transient' if error is None or error.transient else 'permanent'}: {error}"


def recipients_summary(settings: NotifySettings) -> list[str]:
    """One line per recipient: who, role, channels, schedule (for the CLI's start banner)."""
    lines = []
    for r in settings.recipients:
        quiet = f", quiet {r.quiet_hours.start}-{r.quiet_hours.end}" if r.quiet_hours else ""
        when = "hourly" if r.digest.every == "hourly" else f"daily {r.digest.at}"
        lines.append(
            f"{r.name} ({r.role}{', full text' if r.full_text else ''}): {', '.join(c.key for c in r.channels)}; "
            f"digest {when} {settings.timezone_of(r)}{quiet}"
        )
    return lines
