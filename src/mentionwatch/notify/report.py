"""What one ``notify`` run did, counted safely from the threads that deliver at once."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any


@dataclasses.dataclass
class NotifyReport:
    """What one run did. ``received`` holds alert bodies (by id) only when asked to keep them.

    ``received_count`` counts readable messages, a redelivered alert included;
    ``delivered`` holds one (kind, ref, recipient, channel) per message sent.
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
    delivered: list[tuple[str, str, str, str]] = dataclasses.field(default_factory=list)
    _lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def count(self, field: str, amount: int = 1) -> None:
        """Adds ``amount`` to the counter named ``field``."""
        with self._lock:
            setattr(self, field, getattr(self, field) + amount)

    def took_in(self, alert_id: str, body: dict[str, Any], *, keep: bool) -> None:
        """Counts one readable alert; keeps its body under its id when ``keep``."""
        with self._lock:
            self.received_count += 1
            if keep:
                self.received[alert_id] = body

    def sent_to(self, kind: str, ref: str, recipient: str, channel: str) -> None:
        """Counts one message sent on its first delivery."""
        with self._lock:
            self.sent += 1
            self.delivered.append((kind, ref, recipient, channel))

    def redelivered_to(self, kind: str, ref: str, recipient: str, channel: str) -> None:
        """Counts one dead letter delivered on a retry."""
        with self._lock:
            self.redelivered += 1
            self.delivered.append((kind, ref, recipient, channel))

    def lines(self) -> list[str]:
        """The run's summary, one line per counter group, for the CLI."""
        immediate = sum(1 for d in self.delivered if d[0] == "immediate")
        digest_messages = sum(1 for d in self.delivered if d[0] == "digest")
        return [
            f"alerts received   {self.received_count}"
            + (f" (+{self.unreadable} unreadable)" if self.unreadable else ""),
            f"sent immediately  {immediate} message(s)",
            f"queued for digest {self.queued}"
            + (f" (+{self.held} held for quiet hours)" if self.held else ""),
            f"digests sent      {self.digests} ({digest_messages} message(s))",
            f"already delivered {self.skipped_duplicates} (skipped)",
            f"from the store    {self.from_store} (published, not brought by Pub/Sub in time)",
            f"dead letters      {self.dead_lettered}"
            + (f", {self.redelivered} redelivered" if self.redelivered else ""),
        ]
