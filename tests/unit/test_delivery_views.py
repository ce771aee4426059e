"""Where each alert stands is shown wherever alerts are: history, the report, alerts status (both
backends)."""

import datetime as dt
import json

import pytest
from history_data import ALERTED, load

from mentionwatch.cli import main
from mentionwatch.notify.store import NotifyStore
from mentionwatch.report import build_report
from mentionwatch.report.html import render
from mentionwatch.store import HistoryStore, schema

NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


@pytest.fixture
def config(store_url, tmp_path):
    """The known history; alert a was delivered to dana by email, c is published but not received,
    e is local."""
    store = NotifyStore(store_url)
    load(store)
    with store.transaction() as connection:
        ids = dict(connection.execute(sa_select_alerts()).all())
        connection.execute(
            schema.alerts.update()
            .where(schema.alerts.c.item_id.in_(["it_a", "it_c"]))
            .values(status="published", published_at=NOW)
        )
    store.mark_received(ids["it_a"], via="pubsub", outcome="routed", now=NOW)
    store.record_delivery(
        ref=ids["it_a"],
        recipient="dana",
        channel="email",
        kind="immediate",
        status="sent",
        attempts=1,
        detail="250 OK",
        now=NOW,
    )
    store.close()
    path = tmp_path / "config.yaml"
    path.write_text(
        f"subjects:\n  - name: Dana Reyes\n  - name: Sam Okafor\nstore:\n  url: {store_url}\n"
    )
    return str(path), ids


def sa_select_alerts():
    import sqlalchemy as sa

    return sa.select(schema.alerts.c.item_id, schema.alerts.c.alert_id)


def test_history_has_a_delivery_column(config, capsys):
    path, _ = config
    assert main(["history", path, "--alerted", "--format", "jsonl"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_item = {r["item_id"]: r["delivery"] for r in rows}
    assert by_item == {"it_a": "delivered", "it_c": "published", "it_e": "local"}
    assert len(ALERTED) == 3


def test_alerts_status_lists_the_undelivered_and_never_the_text(config, capsys):
    path, ids = config
    assert main(["alerts", "status", path, "--since", "2026-10-01"]) == 0
    out = capsys.readouterr().out
    assert "1 delivered" in out and "1 published" in out and "1 local" in out
    assert ids["it_c"] in out and ids["it_a"] not in out  # delivered ones only with --all
    assert "hurt you" not in out and "watch free" not in out
    assert main(["alerts", "status", path, "--since", "2026-10-01", "--all"]) == 0
    assert "dana (email: sent)" in capsys.readouterr().out


def test_the_report_says_where_each_alert_stands(config, store_url):
    _, ids = config
    store = HistoryStore(store_url)
    try:
        until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)  # alerts are decided now
        report = build_report(store, since=NOW - dt.timedelta(days=30), until=until)
    finally:
        store.close()
    assert sorted(a.state for a in report.delivery) == ["delivered", "local", "published"]
    page = render(report)
    assert "Delivery to people" in page and ids["it_c"] in page and "alerts delivered" in page
