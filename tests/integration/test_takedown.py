"""A takedown request end to end against a real HTTP server on 127.0.0.1, through the command.

A re-promotion is stored with its URL on a local server; ``takedown draft``
writes the request, ``takedown mark --status sent`` starts its clock, and
``takedown status`` re-checks the URL with the real bounded fetcher: first
the page is served (recorded as evidence, the request stays sent), then the
server answers 410 and then 404 on another request, and ``status`` records
the removal with the new fetch kept in the evidence store.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import Route
from history_data import classified

from mentionwatch.alerts.selection import make_alert
from mentionwatch.cli import main
from mentionwatch.records import ClassifiedMention, Item, Mention
from mentionwatch.store import HistoryStore, schema

pytestmark = pytest.mark.integration

PAGE = b"<html><h1>Dana Reyes - Hotel Room Tape (NEW 2026)</h1><video></video></html>"


def _store_repromotion(store_url: str, url: str, key: str) -> str:
    store = HistoryStore(store_url)
    item = Item(
        f"it_{key}",
        "Mirror",
        url,
        "Hotel Room Tape NEW",
        "watch",
        raw_ref=f"{key:0>64}",
        published_at="2026-11-05T00:00:00Z",
        fetched_at="2026-11-05T01:00:00Z",
    )
    template = classified("c")
    mention = ClassifiedMention(
        Mention(item, "Dana Reyes", template.mention.spans), template.classification
    )
    store.write_mentions([mention])
    alert = make_alert(mention)
    store.record_alerts([alert], status="local")
    store.close()
    return alert.alert_id


def _run(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_status_records_the_removal_with_a_new_fetch(feed_server, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store_url = f"sqlite:///{tmp_path / 'history.db'}"
    feed_server.routes["/v/hotel-room-tape"] = Route(PAGE, headers={"Content-Type": "text/html"})
    feed_server.routes["/v/other"] = Route(PAGE, headers={"Content-Type": "text/html"})
    url, other = feed_server.url("/v/hotel-room-tape"), feed_server.url("/v/other")
    alert_id = _store_repromotion(store_url, url, "m1")
    other_alert = _store_repromotion(store_url, other, "m2")
    config = tmp_path / "config.yaml"
    config.write_text(
        "subjects:\n  - name: Dana Reyes\n    known_content:\n"
        "      - {title: Dana Reyes - Hotel Room Tape, released: 2019-03-14}\n"
        f"store:\n  url: {store_url}\n"
        "fetch:\n  allow_networks: [127.0.0.0/8]\n  timeout_s: 5\n  deadline_s: 10\n"
    )

    out = _run(capsys, "takedown", "draft", str(config), alert_id, "--kind", "ncii")
    rid = out.split()[2]
    document = (tmp_path / f"takedown-{rid}.md").read_text()
    assert url in document and "TAKE IT DOWN Act" in document
    assert "[FILL IN: signature:" in document and "This is not legal advice" in document
    out = _run(capsys, "takedown", "draft", str(config), other_alert, "--kind", "dmca")
    other_rid = out.split()[2]

    out = _run(capsys, "takedown", "mark", str(config), rid, "--status", "sent", "--at", "2h")
    assert f"{rid} is now sent" in out and "48 hours after sending" in out

    out = _run(capsys, "takedown", "status", str(config))
    assert "sent" in out and "link 1 127.0.0.1/…: serving (HTTP 200)" in out
    assert "due in 1 day 21 hours" in out or "due in 1 day 22 hours" in out
    assert url not in out  # hosts only, unless --show-links

    feed_server.routes["/v/hotel-room-tape"] = Route(b"gone", status=410)
    feed_server.routes["/v/other"] = Route(b"not here", status=404)
    requests_before = len(feed_server.requests)
    out = _run(capsys, "takedown", "status", str(config), "--show-links")
    assert len(feed_server.requests) == requests_before + 2  # each URL fetched again
    assert f"link 1 {url}: removed (HTTP 410)" in out
    assert f"link 1 {other}: removed (HTTP 404)" in out

    store = HistoryStore(store_url)
    try:
        for request_id, status in ((rid, 410), (other_rid, 404)):
            row = store.takedown(request_id)
            assert row["status"] == "removed" and row["removed_at"] is not None
            check = [e for e in store.takedown_events(request_id) if e["event"] == "check"][-1]
            assert (check["outcome"], check["http_status"]) == ("removed", status)
            with store.engine.connect() as connection:
                fetch = (
                    connection.execute(
                        sa.select(schema.fetches).where(
                            schema.fetches.c.fetch_id == check["fetch_id"]
                        )
                    )
                    .mappings()
                    .one()
                )
            assert fetch["status"] == status and fetch["source"] == "takedown re-check"
        # the first re-check kept the page itself, byte for byte
        served = [e for e in store.takedown_events(rid) if e["outcome"] == "serving"]
        assert served and served[0]["sha256"]
        from mentionwatch.store.evidence import read_body

        assert read_body(store, served[0]["sha256"]) == PAGE
    finally:
        store.close()

    assert "no open takedown requests" in _run(capsys, "takedown", "status", str(config))
    out = _run(capsys, "takedown", "status", str(config), "--all", "--no-check")
    assert rid in out and "removed" in out
    out = _run(capsys, "takedown", "show", str(config), rid)
    assert "re-check 127.0.0.1/…: removed HTTP 410 fe_" in out
    assert "removed (re-check: every URL answered 404/410" in out
