"""Digest assembly: each recipient's queued alerts, sent as one message when due.

``flush`` first finishes digests a previous run claimed but did not finish,
under their original id, so channels they already reached are skipped; then
it claims and sends one digest per recipient with anything due. A digest that
cannot even be built is dead-lettered whole, so it never wedges the queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from mentionwatch.notify.alert import from_mapping
from mentionwatch.notify.clock import Clock
from mentionwatch.notify.courier import Courier
from mentionwatch.notify.recipients import Recipients
from mentionwatch.notify.render.digest import Queued, render_digest
from mentionwatch.notify.report import NotifyReport
from mentionwatch.notify.sending import Interrupted, Outgoing
from mentionwatch.notify.store import NotifyStore
from mentionwatch.store.engine import StoreUnavailable

_log = logging.getLogger(__name__)


def digest_payload(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """What a digest's dead letter keeps to rebuild it: the alert bodies and why each waited."""
    return {
        "alerts": [dict(row["body"]) for row in rows],
        "reasons": [row["reason"] for row in rows],
    }


class DigestSender:
    """Sends the digests that are due; one flush at a time."""

    def __init__(
        self,
        store: NotifyStore,
        recipients: Recipients,
        courier: Courier,
        *,
        clock: Clock,
        report: NotifyReport,
    ):
        self.store = store
        self.recipients = recipients
        self.courier = courier
        self.clock = clock
        self.report = report
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def flush(self, *, force: bool = False) -> int:
        """Sends the digests that are due (every queued one with ``force``); returns how many."""
        sent = 0
        with self._lock:
            for digest, rows in self.store.unfinished_digests().items():
                sent += self._send_or_dead_letter(digest, rows)
            now = self.clock.now()
            for name in self.store.due_recipients(None if force else now):
                if name not in self.recipients.by_name:
                    self._warn_unknown(name)
                    continue
                claimed = self.store.claim_digest(name)
                if claimed is not None:
                    sent += self._send_or_dead_letter(*claimed)
        return sent

    def _warn_unknown(self, name: str) -> None:
        if name not in self._warned:
            self._warned.add(name)
            _log.warning(
                "digest entries wait for recipient %r, who is no longer in notify.recipients; kept",
                name,
            )

    def _send_or_dead_letter(self, digest: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """``_send``; a digest that cannot be built is dead-lettered whole.

        Channel failures are handled by the courier; what lands here is a
        digest that cannot even be rendered (e.g. a stored alert body this
        version cannot read). Its alerts are kept in the dead letter, and the
        digest is finished so the next flush (and the next start) moves on.
        """
        try:
            return self._send(digest, rows)
        except (StoreUnavailable, Interrupted):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad digest must not stop every later one
            self.courier.dead_letter(
                ref=digest,
                recipient=rows[0]["recipient"],
                channel="",
                kind="digest",
                error=f"digest could not be built: {type(exc).__name__}: {exc}",
                attempts=1,
                payload=digest_payload(rows),
            )
            self.store.finish_digest(digest, self.clock.now())
            return 0

    def _send(self, digest: str, rows: Sequence[Mapping[str, Any]]) -> int:
        name = rows[0]["recipient"]
        if name not in self.recipients.by_name:
            return 0
        now = self.clock.now()
        entries = [Queued(from_mapping(row["body"]), row["reason"]) for row in rows]
        since = self.store.last_digest_at(name)
        notification = render_digest(digest, entries, self.recipients.readers[name], now, since)
        payload = digest_payload(rows)
        self.courier.deliver(
            [
                Outgoing(notification, channel, digest, payload)
                for channel in self.recipients.channels[name]
            ]
        )
        self.store.finish_digest(digest, now)
        self.report.count("digests")
        return 1
