"""Times on the command line: ``30d``, ``12h``, ``2w``, ``90m`` or an ISO-8601 date/time."""

from __future__ import annotations

import datetime as dt
import re

from mentionwatch.timeutil import iso_z, parse_time

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(value: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """``30d`` (that long before ``now``) or an ISO-8601 date or time (UTC unless it says).

    Raises:
      ValueError: with an example of what is accepted.
    """
    now = now or dt.datetime.now(dt.UTC)
    match = _RELATIVE.match(value)
    if match:
        return now - dt.timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    try:
        moment = parse_time(value.strip())
    except ValueError:
        moment = None
    if moment is None:  # an empty value too: it is not a time either
        raise ValueError(
            f"{value!r} is not a time: use a duration before now (30d, 12h, 2w, 90m) or an ISO "
            "date (2026-11-01, 2026-11-01T08:00:00Z)"
        )
    return moment


def iso(moment: dt.datetime | None) -> str | None:
    """An aware or naive-UTC datetime as ``2026-11-22T08:00:00Z`` (None stays None)."""
    moment = parse_time(moment)
    return (
        None
        if moment is None
        else iso_z(moment, "milliseconds" if moment.microsecond else "seconds")
    )
