"""Hostile content: links that are not links, names that are not file names, text that is not math
(issue 15, items 4, 6 and 8)."""

import json

import pytest

from mentionwatch.notify.alert import parse_alert
from mentionwatch.notify.channels.file import FileChannel
from mentionwatch.notify.notification import Notification
from mentionwatch.report.charts import repromotion_chart, timeline_chart
from mentionwatch.sources.entries import RawEntry, entry_to_item
from mentionwatch.textutil import safe_url

pytestmark = pytest.mark.hostile


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JaVaScRiPt:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "https://forum.example/t/1\r\nFull text: I will find you",
        "https://forum.example/t/1\nhttps://phish.example/login",
        "https://forum.example/t/\u20281",
        "file:///etc/passwd",
        "//forum.example/t/1",
        "https://",
    ],
)
def test_links_that_are_not_http_or_carry_line_breaks_are_dropped(url):
    assert safe_url(url) == ""


def test_ordinary_links_are_kept():
    assert safe_url(" https://forum.example/t/1?x=2#c ") == "https://forum.example/t/1?x=2#c"
    assert safe_url("http://a.example/p q") == "http://a.example/p%20q"


def entry(link: str) -> RawEntry:
    return RawEntry(
        "Forum",
        "https://forum.example/feed",
        "g1",
        link,
        "post",
        "Dana Reyes was here",
        "",
        None,
        None,
        "",
        "2026-12-03T00:00:00Z",
    )


def test_an_item_never_keeps_a_hostile_link():
    assert entry_to_item(entry("javascript:alert(1)")).url == ""
    assert entry_to_item(entry("https://forum.example/t/1\r\nabuse")).url == ""
    assert entry_to_item(entry("https://forum.example/t/1")).url == "https://forum.example/t/1"


def test_an_alert_from_a_hostile_publisher_never_carries_a_hostile_link_into_a_message():
    body = {
        "schema_version": 1,
        "alert_id": "al_x",
        "subject": "Dana Reyes",
        "label": "harassment",
        "harassment_type": "threat",
        "severity": "critical",
        "url": "javascript:alert(1)",
        "related_urls": [
            "https://ok.example/1",
            "https://x.example/\r\nFake: click https://phish.example",
        ],
    }
    alert = parse_alert(json.dumps(body).encode())
    assert alert.url == "" and alert.related_urls == ("https://ok.example/1",)


def test_a_file_channel_never_writes_outside_its_folder(tmp_path):
    channel = FileChannel("file", tmp_path / "notifications")
    hostile = Notification(
        id="x/../../../escaped",
        kind="immediate",
        recipient="dana",
        severity="critical",
        title="t",
        text="hidden",
        html="",
        items=(),
        created_at="2026-12-03T00:00:00Z",
    )
    receipt = channel.send(hostile)
    written = list((tmp_path / "notifications").rglob("*.txt"))
    assert len(written) == 1 and written[0].parent == tmp_path / "notifications" / "dana"
    assert not (tmp_path / "escaped.txt").exists() and receipt.detail == str(written[0])


def test_report_charts_show_a_dollar_in_a_domain_or_name_as_written():
    chart = repromotion_chart(
        [{"key": "free$$$clips.example", "count": 3}, {"key": "a$b", "count": 1}],
        [{"key": "Tube $ite", "count": 2}],
    )
    assert chart.png.startswith(b"\x89PNG")
    import datetime as dt

    now = dt.datetime(2026, 12, 3, tzinfo=dt.UTC)
    assert timeline_chart({"Dana $ Reyes": [(now, 1)]}, [], window_label="hour").png.startswith(
        b"\x89PNG"
    )
