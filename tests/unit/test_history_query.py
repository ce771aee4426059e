"""``mentionwatch history`` filters, one by one and combined, on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from history_data import T0, load

from mentionwatch.history.query import HistoryFilter, iter_mentions


def keys(store, **filters):
    return sorted(r["item_id"][3:] for r in iter_mentions(store.engine, HistoryFilter(**filters)))


@pytest.fixture
def history(store):
    load(store)
    return store


def test_default_is_every_mention_once_with_its_current_classification(history):
    rows = list(iter_mentions(history.engine, HistoryFilter()))
    assert sorted(r["item_id"][3:] for r in rows) == list("abcdefg")
    b = next(r for r in rows if r["item_id"] == "it_b")
    assert (b["label"], b["model_version"], b["is_current"]) == ("benign", "2", True)
    assert [r["occurred_at"] for r in rows] == sorted(
        (r["occurred_at"] for r in rows), reverse=True
    )  # newest first


def test_subject(history):
    assert keys(history, subjects=("Sam Okafor",)) == ["e", "f"]
    assert keys(history, subjects=("Sam Okafor", "Dana Reyes")) == list("abcdefg")


def test_label(history):
    assert keys(history, labels=("harassment",)) == ["a", "e"]  # b is benign now (model 2)
    assert keys(history, labels=("re_promotion",)) == ["c", "g"]


def test_harassment_type(history):
    assert keys(history, types=("doxxing", "threat")) == ["a", "e"]
    assert keys(history, types=("insult",)) == []  # b's insult was model 1's view


def test_source(history):
    assert keys(history, sources=("Corner Forum",)) == ["a", "b", "e"]


def test_domain_ignores_www_and_case(history):
    assert keys(history, domains=("corner-forum.example",)) == ["a", "b", "e"]
    assert keys(history, domains=("WWW.TubeHub.example",)) == ["c"]


def test_time_range_is_since_inclusive_until_exclusive(history):
    since, until = T0 + dt.timedelta(days=2), T0 + dt.timedelta(days=5)
    assert keys(history, since=since, until=until) == ["b", "c", "d"]
    assert keys(history, since=T0 + dt.timedelta(days=6)) == [
        "f",
        "g",
    ]  # f: no published time, fetched day 6.5


def test_text_search_is_a_case_insensitive_substring_of_title_or_text(history):
    assert keys(history, text="FULL video") == ["c"]
    assert keys(history, text="elm street") == ["e"]
    assert keys(history, text="100%") == []  # % and _ are literal, not wildcards
    assert keys(history, text="_") == []


def test_min_severity(history):
    assert keys(history, min_severity="critical") == ["a", "e"]
    assert keys(history, min_severity="medium") == ["a", "c", "e", "g"]


def test_model_versions(history):
    assert keys(history, model_version="1") == list("abcdefg")
    assert keys(history, model_version="2") == ["b"]
    rows = list(
        iter_mentions(
            history.engine,
            HistoryFilter(all_versions=True, subjects=("Dana Reyes",), sources=("Corner Forum",)),
        )
    )
    assert sorted(
        (r["item_id"], r["model_version"], r["label"], r["is_current"]) for r in rows
    ) == [
        ("it_a", "1", "harassment", True),
        ("it_b", "1", "harassment", False),
        ("it_b", "2", "benign", True),
    ]


def test_alerted_and_the_alert_columns(history):
    assert keys(history, alerted=True) == ["a", "c", "e"]
    row = next(iter_mentions(history.engine, HistoryFilter(alerted=True, types=("threat",))))
    assert row["alert_id"].startswith("al_") and row["alert_status"] == "local"


def test_filters_combine_and_limit_applies_last(history):
    assert keys(
        history,
        subjects=("Dana Reyes",),
        labels=("harassment", "re_promotion"),
        since=T0 + dt.timedelta(days=2),
    ) == ["c", "g"]
    rows = list(iter_mentions(history.engine, HistoryFilter(limit=2)))
    assert [r["item_id"] for r in rows] == ["it_g", "it_f"]


def test_text_is_masked_unless_asked_for(history):
    (row,) = iter_mentions(history.engine, HistoryFilter(types=("threat",)))
    assert row["content"] == "[content hidden: harassment: threat, 26 characters]"
    assert "title" not in row and "text" not in row and "hurt" not in str(row)
    (row,) = iter_mentions(history.engine, HistoryFilter(types=("threat",)), show_text=True)
    assert row["text"] == "Dana Reyes I will hurt you"
