"""Time, injectable: digests and quiet hours are tested without sleeping.

``SystemClock`` is the real one. ``ManualClock`` only moves when told to
(``set``/``advance``), and its ``sleep`` returns at once after moving the
time, so retry backoff in tests costs nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Waits ``seconds`` unless ``stop`` is set first; returns True when stopped."""


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        return stop.wait(seconds)


class ManualClock:
    """A clock for tests: starts at ``start`` and moves only when told."""

    def __init__(self, start: dt.datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(dt.UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        with self._lock:
            self._now += dt.timedelta(**delta)

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        self.slept.append(seconds)
        self.advance(seconds=seconds)
        return stop.is_set()
