"""Evidence test data: a raw feed body as fetched, an alerted mention pointing at it, and ways
to tamper with a written pack (shared by the evidence tests)."""

import zipfile

from mentionwatch.alerts.selection import make_alert
from mentionwatch.records import Classification, ClassifiedMention, Item, Mention, Span
from mentionwatch.sources.http import FetchResult

BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<rss><channel><item><guid>p-1</guid><title>Dana Reyes</title>"
    b"<description>Dana Reyes I know where you live \xe2\x80\x94 12 Elm Street</description>"
    b"</item></channel></rss>\n" * 3
)
HEADERS = {"content-type": "application/rss+xml; charset=utf-8", "etag": '"abc"', "server": "test"}


def fetched(body=BODY, url="https://forum.example/feed.xml", at="2026-11-22T08:00:03Z"):
    return FetchResult(url, 200, HEADERS, body, at)


def alerted_mention(store, raw_ref, item_id="it_ev", url="https://forum.example/t/1"):
    item = Item(
        item_id,
        "Forum",
        url,
        "",
        "Dana Reyes I know where you live",
        published_at="2026-11-22T07:59:00Z",
        fetched_at="2026-11-22T08:00:03Z",
        raw_ref=raw_ref,
    )
    result = Classification(
        "harassment",
        "doxxing",
        {"harassment": 0.97, "re_promotion": 0.01, "benign": 0.02, "type:doxxing": 0.9},
        "mentionwatch-minilm",
        "2026.11.1",
        {"harassment": 0.55, "re_promotion": 0.6},
        ("pii:address",),
    )
    classified = ClassifiedMention(
        Mention(item, "Dana Reyes", (Span("text", 0, 10, "Dana Reyes", "dana reyes"),)), result
    )
    store.write_mentions([classified])
    alert = make_alert(classified)
    store.record_alerts([alert], status="local")
    return alert


def rewrite(path, name, change):
    with zipfile.ZipFile(path) as archive:
        entries = [(info, archive.read(info.filename)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, change(data) if info.filename == name else data)


def flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]
