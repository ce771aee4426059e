"""The Notifier: one alert in, the right messages out, each exactly once.

``Notifier.handle(data, message_id)`` is called for every Pub/Sub message and
answers ``ACK`` or ``NACK``. Its timeline for one alert:

1. The body is read (``alert.parse_alert``). An unreadable body can never
   succeed: it is kept as a dead letter (kind ``unreadable``), the operator is
   told, and the message is acknowledged.
2. For each recipient of the alert's subject (``routing.receives``), unless
   the alert is already queued for them: ``routing.route`` says immediate,
   digest, or held for quiet hours.
3. Immediate: the message is rendered for that recipient (masked unless they
   opted in to full text) and sent on each of their channels that has no
   ``notify_deliveries`` row for this alert yet. Every channel of every
   recipient is tried once before anyone waits; the failing ones are then
   retried together with exponential backoff (``sending``). After
   ``max_attempts`` (or at once, for a permanent error) the notification
   becomes a dead letter and the operator is told. Either way the channel is
   settled (a row is written, ``courier``) and a redelivery skips it.
4. Digest or held: the alert is queued in ``notify_digest_queue`` (a second
   queueing of the same pair changes nothing).
5. ``ACK`` once every recipient is settled. A stop request while waiting to
   retry, or an unreachable store, answers ``NACK``: Pub/Sub redelivers the
   message and step 3 skips the channels already done.

``flush_digests`` (on a timer, and on the way out of ``--once``; ``digests``)
first finishes digests a previous run claimed but did not finish, then sends
one digest per recipient with anything due. ``reconcile`` (``reconcile``)
delivers what the store says was published and Pub/Sub did not bring;
``retry_dead_letters`` (``redelivery``) tries the dead letters again.

The only window for a double send is a crash after a channel accepted a
message and before its delivery row was written; webhook requests carry a
stable ``X-Mentionwatch-Delivery`` id and emails a stable ``Message-ID`` so
the receiving side can fold even that.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import pathlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from mentionwatch.config import NotifySettings, Recipient
from mentionwatch.notify.alert import IncomingAlert, UnreadableAlert, parse_alert
from mentionwatch.notify.channels import Channel
from mentionwatch.notify.clock import Clock, SystemClock
from mentionwatch.notify.courier import Courier
from mentionwatch.notify.digests import DigestSender
from mentionwatch.notify.notification import Guidance
from mentionwatch.notify.recipients import Recipients, build_channels
from mentionwatch.notify.reconcile import Reconciler
from mentionwatch.notify.redelivery import retry_dead_letters
from mentionwatch.notify.render.immediate import render_immediate
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.routing import HELD, IMMEDIATE, Route, route
from mentionwatch.notify.sending import Interrupted, Outgoing
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
      guidance: the subjects' safety settings and the config's path, for the
        next steps in messages (``recipients.guidance_of``).
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
        guidance: Guidance | None = None,
    ):
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.stop = stop or threading.Event()
        self.report = NotifyReport()
        self.recipients = Recipients(settings, subjects, channels, operator, guidance)
        self.courier = Courier(
            store,
            settings.delivery,
            clock=self.clock,
            stop=self.stop,
            report=self.report,
            operator=self.recipients.operator,
            on_delivered=on_delivered,
        )
        self._digests = DigestSender(
            store, self.recipients, self.courier, clock=self.clock, report=self.report
        )
        self._reconciler = Reconciler(
            store,
            settings.delivery,
            self.courier,
            self._take_in_from_store,
            clock=self.clock,
            stop=self.stop,
            report=self.report,
        )
        self._keep = keep_received
        self._locks = _KeyedLocks()

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
        """A Notifier with every channel built from the config (``recipients.build_channels``).

        Raises:
          ChannelSetupError: a channel's secret is not in the environment.
        """
        channels, operator = build_channels(settings, env=env, base_dir=base_dir, console=console)
        return cls(settings, subjects, store, channels, operator, **kwargs)

    def close(self) -> None:
        """Closes every channel (recipients' and operator's)."""
        self.recipients.close()

    # ------------------------------------------------------------------ one message

    def handle(self, data: bytes, message_id: str = "", *, via: str = "pubsub") -> str:
        """Processes one alert body (from Pub/Sub, or the store: ``via``); returns ACK or NACK."""
        if self.stop.is_set():
            return NACK
        try:
            try:
                alert = parse_alert(data)
            except UnreadableAlert as exc:
                self.report.count("unreadable")
                self.courier.dead_letter(
                    ref=f"message:{message_id or '?'}",
                    recipient="",
                    channel="",
                    kind="unreadable",
                    error=str(exc),
                    attempts=1,
                    payload={"data": data[:20_000].decode("utf-8", "replace")},
                )
                return ACK
            self.report.took_in(alert.alert_id, dict(alert.body), keep=self._keep)
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

    def _take_in_from_store(self, data: bytes, ref: str) -> bool:
        return self.handle(data, ref, via="store") == ACK

    def _dispatch(self, alert: IncomingAlert) -> str:
        """Routes and delivers one alert; returns ``routed`` or ``unrouted``."""
        targets = self.recipients.of(alert)
        if not targets:
            self.report.count("unrouted")
            _log.warning(
                "alert %s (%s, %s) has no recipient in notify.recipients; "
                "acknowledged without notifying anyone",
                alert.alert_id,
                alert.subject,
                alert.label,
            )
            return "unrouted"
        now = self.clock.now()
        outgoing: list[Outgoing] = []
        for recipient in targets:
            if self.store.queue(alert_id=alert.alert_id, recipient=recipient.name):
                self.report.count("skipped_duplicates")  # already waiting for (or sent in) a digest
                continue
            started = bool(self.store.deliveries(ref=alert.alert_id, recipient=recipient.name))
            reader = self.recipients.readers[recipient.name]
            decision = route(recipient, alert, now, reader.zone)
            if started or decision.how == IMMEDIATE:
                notification = render_immediate(alert, reader, now)
                payload = {"alerts": [dict(alert.body)]}
                outgoing += [
                    Outgoing(notification, c, alert.alert_id, payload)
                    for c in self.recipients.channels[recipient.name]
                ]
            else:
                self._enqueue(alert, recipient, decision, now)
        self.courier.deliver(outgoing)
        return "routed"

    def _enqueue(
        self, alert: IncomingAlert, recipient: Recipient, decision: Route, now: dt.datetime
    ) -> None:
        self.store.enqueue(
            alert, recipient.name, reason=decision.how, due_at=decision.due_at, now=now
        )
        self.report.count("held" if decision.how == HELD else "queued")
        _log.info(
            "alert %s queued for %s (%s, due %s)",
            alert.alert_id,
            recipient.name,
            decision.how,
            decision.due_at.isoformat() if decision.due_at else "-",
        )

    # ------------------------------------------------------------------ the rest

    def reconcile(self) -> int:
        """Delivers, from the store, published alerts Pub/Sub has not brought; returns how many.

        Then tells the operator, once, about alerts nobody has been told about
        in time (``reconcile.Reconciler``).
        """
        return self._reconciler.run()

    def flush_digests(self, *, force: bool = False) -> int:
        """Sends the digests that are due (every queued one with ``force``); returns how many.

        Digests a previous run claimed but did not finish are finished first,
        under their original id, so channels they already reached are skipped.
        """
        return self._digests.flush(force=force)

    def retry_dead_letters(self) -> tuple[int, int]:
        """Tries every open dead letter again (with the usual retries); returns (delivered, dead).

        For the operator, after fixing what failed (``notify --retry-dead-letters``).
        Unreadable messages cannot be redelivered and stay as they are.
        """
        return retry_dead_letters(
            self.store, self.recipients, self.courier, clock=self.clock, report=self.report
        )
