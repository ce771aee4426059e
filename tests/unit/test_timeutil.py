"""One parser and one formatter for times (fast tier)."""

import datetime as dt

import pytest

from mentionwatch.notify.alert import parse_alert
from mentionwatch.timeutil import iso_z, parse_time


def test_every_written_form_reads_as_the_same_utc_moment():
    moment = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
    for text in (
        "2026-11-22T08:00:00Z",
        "2026-11-22T08:00:00+00:00",
        "2026-11-22T09:00:00+01:00",
        "2026-11-22T08:00:00",
    ):
        assert parse_time(text) == moment and parse_time(text).tzinfo == dt.UTC, text
    assert parse_time(dt.datetime(2026, 11, 22, 8, 0)) == moment  # naive is UTC
    assert parse_time(None) is None and parse_time("") is None


def test_a_string_that_is_not_a_time_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        parse_time("last Tuesday")


def test_times_are_written_in_utc_with_z():
    assert iso_z("2026-11-22T09:00:00.250+01:00") == "2026-11-22T08:00:00Z"
    assert iso_z("2026-11-22T09:00:00.250+01:00", "auto") == "2026-11-22T08:00:00.250000Z"
    assert iso_z(None) is None


def test_an_alert_with_a_bad_time_still_reads_without_one():
    """Alerts come from outside: a bad time there must not stop delivery."""
    alert = parse_alert(
        b'{"alert_id": "a", "subject": "D", "label": "harassment", "severity": "high", '
        b'"published_at": "not a time", "created_at": "2026-11-22T09:00:00+01:00"}'
    )
    assert alert.when == dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


def test_an_empty_time_on_the_command_line_is_an_error_not_all_time():
    from mentionwatch.history.timespec import parse_moment

    for value in ("", "  ", "yesterday-ish"):
        with pytest.raises(ValueError, match="is not a time"):
            parse_moment(value)
    assert parse_moment("2026-11-22T09:00:00+01:00") == dt.datetime(
        2026, 11, 22, 8, 0, tzinfo=dt.UTC
    )
