"""Times on the command line: ``30d``, ``12h``, ``2w``, ``90m`` or an ISO-8601 date/time."""

from __future__ import annotations

import datetime as dt
import re

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """``30d`` (that long before ``now``) or an ISO-8601 date or time (UTC unless it says).

    Raises:
      ValueError: with an example of what is accepted.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    match = _RELATIVE.match(value)
    if match:
        return now - dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{value!r} is not a time: use a duration before now (30d, 12h, 2w, 90m) or an ISO date "
            "(2026-11-01, 2026-11-01T08:00:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)


def iso(moment: dt.datetime | None) -> str | None:
    """An aware or naive-UTC datetime as ``2026-11-22T08:00:00Z`` (None stays None)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    moment = moment.astimezone(dt.timezone.utc)
    text = moment.isoformat(timespec="seconds" if not moment.microsecond else "milliseconds")
    return text.replace("+00:00", "Z")
