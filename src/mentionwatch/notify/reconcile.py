"""Reconciling with the store: what Pub/Sub did not bring is delivered from the store's record.

The store is the source of truth: an alert recorded as published
``reconcile_after_s`` ago (and within ``reconcile_window_h``) that ``notify``
has not taken in is handled from its stored body, exactly as if Pub/Sub had
delivered it. Its id makes the Pub/Sub copy, when it comes, a duplicate that
sends nothing. Then alerts nobody has been told about after
``notice_after_s`` are reported to the operator, once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Callable

from mentionwatch.config import DeliverySettings
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.courier import Courier
from mentionwatch.notify.render.operator import render_overdue_notice
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.store import NotifyStore

_log = logging.getLogger(__name__)

# (alert body, message id) -> whether it was settled (``Notifier.handle`` answered ACK).
TakeIn = Callable[[bytes, str], bool]


class Reconciler:
    """Delivers, from the store, published alerts Pub/Sub has not brought in time.

    Args:
      store: the history store (alerts, and what ``notify`` took in).
      limits: the config's ``notify.delivery`` block (the reconcile timings).
      courier: tells the operator about overdue alerts.
      take_in: handles one stored alert body as if Pub/Sub had brought it;
        True once it is settled.
      clock: the time source.
      stop: set to end a round early.
      report: the run's counters.
    """

    def __init__(
        self,
        store: NotifyStore,
        limits: DeliverySettings,
        courier: Courier,
        take_in: TakeIn,
        *,
        clock: Clock,
        stop: threading.Event,
        report: NotifyReport,
    ):
        self.store = store
        self.limits = limits
        self.courier = courier
        self.take_in = take_in
        self.clock = clock
        self.stop = stop
        self.report = report

    def run(self) -> int:
        """One round (see the module docstring); returns how many alerts came from the store."""
        limits, now = self.limits, self.clock.now()
        since = now - dt.timedelta(hours=limits.reconcile_window_h)
        missing = self.store.unreceived(
            published_before=now - dt.timedelta(seconds=limits.reconcile_after_s),
            published_since=since,
        )
        handled = 0
        for alert_id, body in missing:
            if self.stop.is_set():
                break
            data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")
            try:
                settled = self.take_in(data, f"store:{alert_id}")
            except Exception:  # noqa: BLE001 - a bug: the next round tries this one again
                _log.exception("notify failed on stored alert %s", alert_id)
                continue
            if settled:
                handled += 1
                # An unreadable stored body was dead-lettered by take_in(): it must not come
                # back every round.
                self.store.mark_received(
                    alert_id, via="store", outcome="unreadable", now=self.clock.now()
                )
        if missing:
            self.report.count("from_store", handled)
            _log.warning(
                "%d published alert(s) had not arrived from Pub/Sub after %.0f s; "
                "%d delivered from the store",
                len(missing),
                limits.reconcile_after_s,
                handled,
            )
        self._notice_overdue(now, since)
        return handled

    def _notice_overdue(self, now: dt.datetime, since: dt.datetime) -> None:
        after = self.limits.notice_after_s
        late = self.store.overdue(
            published_before=now - dt.timedelta(seconds=after), published_since=since
        )
        if not late:
            return
        _log.warning(
            "%d alert(s) published more than %.0f s ago have not reached anyone: %s "
            "(mentionwatch alerts status CONFIG)",
            len(late),
            after,
            ", ".join(f"{a.alert_id} ({a.state})" for a in late[:10]),
        )
        self.courier.tell_operator(render_overdue_notice(late, after_s=after, now=now))
        self.store.mark_noticed([a.alert_id for a in late], now)
