"""Times: aware UTC datetimes inside mentionwatch, ISO-8601 with ``Z`` outside.

Every time mentionwatch stores, publishes or prints is UTC written as
``2026-11-22T08:00:00Z``. A time read back (from the store, a message, a
feed's parsed date) may carry ``Z``, an offset or nothing (then it is UTC).
One parser and one formatter, so no two modules read or write a time
differently.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(UTC)


def parse_time(value: str | dt.datetime | None) -> dt.datetime | None:
    """An ISO-8601 string (``Z``, an offset or none) or a datetime → aware UTC.

    None and ``""`` → None.

    Naive values are taken as UTC.

    Raises:
      ValueError: ``value`` is a string that is not an ISO-8601 time. Where the
        text comes from outside (an alert message), catch it and decide there.
    """
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso_z(value: str | dt.datetime | None, timespec: str = "seconds") -> str | None:
    """``value`` (as ``parse_time`` reads it) as ISO-8601 UTC with ``Z``; None stays None.

    ``timespec`` as for ``datetime.isoformat`` (``seconds`` by default; ``auto``
    keeps microseconds when there are any).
    """
    moment = parse_time(value)
    if moment is None:
        return None
    return moment.isoformat(timespec=timespec).replace("+00:00", "Z")


def utc_now_iso(timespec: str = "seconds") -> str:
    """The current time as ISO-8601 UTC with ``Z``."""
    return iso_z(now(), timespec)
