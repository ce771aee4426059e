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
    """What the notify service needs of time: the current moment, and an interruptible sleep."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Waits ``seconds`` unless ``stop`` is set first; returns True when stopped."""


class SystemClock:
    """The real clock: wall time, and sleeps that ``stop`` cuts short."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Waits ``seconds`` unless ``stop`` is set first; returns True when stopped."""
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
        """The clock's current time (UTC); it changes only through ``set``/``advance``/``sleep``."""
        with self._lock:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        """Moves the clock to ``moment`` (an aware datetime), forwards or back."""
        with self._lock:
            self._now = moment.astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        """Moves the clock forward by ``datetime.timedelta(**delta)``."""
        with self._lock:
            self._now += dt.timedelta(**delta)

    def sleep(self, seconds: float, stop: threading.Event) -> bool:
        """Records ``seconds`` in ``slept``, advances by them at once; True when ``stop`` is set."""
        self.slept.append(seconds)
        self.advance(seconds=seconds)
        return stop.is_set()
