"""``watch`` reviews open takedown requests every hour, as ``takedown status`` does.

The review is the same function the command runs (tests/unit/test_takedown_status.py
covers its clocks and re-checks); here: the note watch prints, the helper's
notice for an overdue request, and that a failing review never stops watch.
"""

from __future__ import annotations

import datetime as dt

from history_data import classified, load

from mentionwatch import timeutil
from mentionwatch.alerts.selection import make_alert
from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.watch import review_takedowns_quietly
from mentionwatch.sources.http import FetchResult
from mentionwatch.store import HistoryStore
from mentionwatch.takedown.draft import draft_request
from mentionwatch.takedown.status import mark


def _loaded(tmp_path) -> LoadedConfig:
    config = parse_config(
        "subjects:\n  - name: Dana Reyes\n"
        "notify:\n  recipients:\n"
        "    - name: sam\n      role: helper\n      subjects: [Dana Reyes]\n"
        f"      channels: [{{type: file, directory: '{tmp_path / 'notices'}'}}]\n"
    )
    return LoadedConfig(config, tmp_path / "config.yaml")


def _still_served(url, **_):
    return FetchResult(
        url, 200, {"content-type": "text/html"}, b"<p>a page</p>", timeutil.utc_now_iso()
    )


def test_watch_notes_open_and_overdue_requests_and_tells_the_helper(tmp_path):
    loaded = _loaded(tmp_path)
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    try:
        assert review_takedowns_quietly(store, loaded, fetcher=_still_served) == ""
        load(store)
        alert_id = make_alert(classified("c")).alert_id
        sent = timeutil.now() - dt.timedelta(hours=49)
        request = draft_request(
            store, loaded.config, alert_id, "ncii", now=sent - dt.timedelta(hours=1)
        )
        mark(store, request.request_id, "sent", at=sent)
        note = review_takedowns_quietly(store, loaded, fetcher=_still_served)
    finally:
        store.close()
    assert note == "takedown requests: 1 open, 1 overdue"
    notices = [path for path in (tmp_path / "notices").rglob("*") if path.is_file()]
    assert len(notices) == 1 and request.request_id in notices[0].read_text()


def test_a_failing_review_is_a_note_not_a_crash(tmp_path):
    loaded = _loaded(tmp_path)
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.close()  # every query now fails
    (tmp_path / "history.db").unlink()
    assert review_takedowns_quietly(store, loaded) == "takedown review skipped"
