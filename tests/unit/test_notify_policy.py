"""Routing, schedules and quiet hours: pure functions, no Pub/Sub, no sleeping."""

import datetime as dt
import zoneinfo

import pytest

from mentionwatch.config import DigestSchedule, QuietHours, Recipient
from mentionwatch.notify.alert import UnreadableAlert, from_mapping, parse_alert
from mentionwatch.notify.routing import (
    DIGEST,
    HELD,
    IMMEDIATE,
    in_quiet_hours,
    is_immediate,
    next_digest,
    quiet_end,
    receives,
    route,
)
from mentionwatch.notify.sending import backoff

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
UTC = dt.UTC


def alert(**fields):
    base = {
        "alert_id": "al_1",
        "subject": "Dana Reyes",
        "label": "harassment",
        "severity": "medium",
        "harassment_type": "insult",
    }
    return from_mapping({**base, **fields})


def recipient(**fields):
    base = {"name": "dana", "role": "subject", "channels": [{"type": "console"}]}
    return Recipient.model_validate({**base, **fields})


def chicago(*args):
    return dt.datetime(*args, tzinfo=CHICAGO).astimezone(UTC)


def test_recipient_receives_only_their_subjects_and_labels():
    helper = recipient(name="sam", role="helper", subjects=["Dana Reyes"], labels=["re_promotion"])
    assert receives(helper, alert(label="re_promotion", harassment_type=None))
    assert not receives(helper, alert())  # harassment is not one of her labels
    assert not receives(helper, alert(subject="Someone Else", label="re_promotion"))
    assert receives(recipient(), alert(subject="Anyone"))  # no subjects listed: every subject


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"harassment_type": "threat", "severity": "critical"}, True),
        (
            {"harassment_type": "doxxing", "severity": "high"},
            True,
        ),  # the type alone makes it immediate
        ({"harassment_type": "incitement", "severity": "critical"}, True),  # so does critical alone
        ({"harassment_type": "insult", "severity": "high", "kind": "pile_on"}, True),
        ({"harassment_type": "sexual_harassment", "severity": "high"}, False),
        (
            {"label": "re_promotion", "harassment_type": None, "severity": "medium", "count": 40},
            False,
        ),
    ],
)
def test_what_interrupts(fields, expected):
    assert is_immediate(recipient().immediate, alert(**fields)) is expected


def test_quiet_hours_spanning_midnight():
    quiet = QuietHours(start="22:00", end="07:00")
    assert in_quiet_hours(quiet, chicago(2026, 3, 3, 23, 30), CHICAGO)
    assert in_quiet_hours(quiet, chicago(2026, 3, 4, 6, 59), CHICAGO)
    assert not in_quiet_hours(quiet, chicago(2026, 3, 4, 7, 0), CHICAGO)
    assert not in_quiet_hours(quiet, chicago(2026, 3, 3, 21, 59), CHICAGO)
    assert quiet_end(quiet, chicago(2026, 3, 3, 23, 30), CHICAGO) == chicago(2026, 3, 4, 7, 0)
    assert quiet_end(quiet, chicago(2026, 3, 4, 2, 0), CHICAGO) == chicago(2026, 3, 4, 7, 0)


def test_quiet_hours_within_one_day():
    quiet = QuietHours(start="13:00", end="15:30")
    assert in_quiet_hours(quiet, chicago(2026, 3, 3, 14, 0), CHICAGO)
    assert not in_quiet_hours(quiet, chicago(2026, 3, 3, 15, 30), CHICAGO)
    assert not in_quiet_hours(None, chicago(2026, 3, 3, 14, 0), CHICAGO)


def test_daily_digest_is_at_local_time_across_daylight_saving():
    daily = DigestSchedule(every="daily", at="08:00")
    # US clocks spring forward on 8 March 2026: 08:00 CST is 14:00 UTC, 08:00 CDT is 13:00 UTC.
    assert next_digest(daily, chicago(2026, 3, 6, 9, 0), CHICAGO) == dt.datetime(
        2026, 3, 7, 14, 0, tzinfo=UTC
    )
    assert next_digest(daily, chicago(2026, 3, 7, 9, 0), CHICAGO) == dt.datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )
    assert next_digest(daily, chicago(2026, 3, 8, 7, 59), CHICAGO) == dt.datetime(
        2026, 3, 8, 13, 0, tzinfo=UTC
    )


def test_hourly_digest_is_at_the_local_top_of_the_hour():
    hourly = DigestSchedule(every="hourly")
    assert next_digest(hourly, chicago(2026, 3, 3, 10, 5), CHICAGO) == chicago(2026, 3, 3, 11, 0)
    kolkata = zoneinfo.ZoneInfo("Asia/Kolkata")  # UTC+05:30: the local hour is not the UTC hour
    now = dt.datetime(2026, 3, 3, 10, 5, tzinfo=kolkata)
    assert next_digest(hourly, now, kolkata) == dt.datetime(2026, 3, 3, 11, 0, tzinfo=kolkata)


def test_route_threat_breaks_quiet_hours_but_lower_immediates_are_held():
    dana = recipient(
        quiet_hours={"start": "22:00", "end": "07:00"}, immediate={"min_severity": "high"}
    )
    night = chicago(2026, 3, 3, 23, 0)
    assert (
        route(dana, alert(harassment_type="threat", severity="critical"), night, CHICAGO).how
        == IMMEDIATE
    )
    held = route(dana, alert(harassment_type="incitement", severity="high"), night, CHICAGO)
    assert held.how == HELD and held.due_at == chicago(2026, 3, 4, 7, 0)
    day = chicago(2026, 3, 3, 12, 0)
    assert (
        route(dana, alert(harassment_type="incitement", severity="high"), day, CHICAGO).how
        == IMMEDIATE
    )


def test_route_digest_due_time_moves_out_of_quiet_hours():
    dana = recipient(quiet_hours={"start": "22:00", "end": "07:00"}, digest={"every": "hourly"})
    evening = route(dana, alert(severity="low"), chicago(2026, 3, 3, 21, 30), CHICAGO)
    assert evening.how == DIGEST and evening.due_at == chicago(
        2026, 3, 4, 7, 0
    )  # 22:00 is quiet: moved to 07:00
    noon = route(dana, alert(severity="low"), chicago(2026, 3, 3, 12, 10), CHICAGO)
    assert noon.due_at == chicago(2026, 3, 3, 13, 0)


def test_backoff_doubles_and_is_capped():
    assert [backoff(n, 2.0, 10.0) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def test_alert_reader_is_lenient_but_refuses_what_it_cannot_deliver():
    parsed = parse_alert(
        b'{"alert_id": "al_9", "subject": "D", "label": "harassment", "severity": "high", '
        b'"new_field": 1}'
    )
    assert parsed.kind == "mention" and parsed.count == 1 and parsed.hidden
    assert "excerpt" not in repr(
        parse_alert(
            b'{"alert_id": "a", "subject": "D", "label": "harassment", "severity": "high", '
            b'"excerpt": "vile words"}'
        )
    )
    with pytest.raises(UnreadableAlert, match="schema_version 2"):
        parse_alert(
            b'{"schema_version": 2, "alert_id": "a", "subject": "D", "label": "harassment", '
            b'"severity": "high"}'
        )
    with pytest.raises(UnreadableAlert, match="alert_id"):
        parse_alert(b'{"subject": "D", "label": "harassment", "severity": "high"}')
    with pytest.raises(UnreadableAlert, match="harassment_type"):
        parse_alert(
            b'{"alert_id": "a", "subject": "D", "label": "harassment", "severity": "high", '
            b'"harassment_type": ["x"]}'
        )
    with pytest.raises(UnreadableAlert, match="count"):
        parse_alert(
            b'{"alert_id": "a", "subject": "D", "label": "harassment", "severity": "high", '
            b'"count": 1e400}'
        )
    with pytest.raises(UnreadableAlert, match="not UTF-8 JSON"):
        parse_alert(b"\xff\xfe")


def test_where_names_the_site_even_for_a_malformed_link():
    base = {
        "alert_id": "a",
        "subject": "D",
        "label": "harassment",
        "severity": "high",
        "source": "Forum feed",
    }
    assert from_mapping({**base, "url": "https://www.Forum.example/t/1"}).where == "forum.example"
    assert from_mapping({**base, "url": "http://[abc/x"}).where == "Forum feed"
