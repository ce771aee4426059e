"""The backfill re-classifies stored items with a new model version; history keeps both."""

import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from demo_store import scan_demo
from helpers import fake_scores, make_fake_handler

from mentionwatch.config import LoadedConfig
from mentionwatch.history.query import HistoryFilter, iter_mentions
from mentionwatch.jobs.backfill import build_pipeline, with_model
from mentionwatch.records import Item
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.pipeline


def version_two_handler():
    """The fake model, as 'version 2', which no longer sees re-promotion anywhere."""
    handler = make_fake_handler()

    def predict(texts, model):
        scores = []
        for text in texts:
            one = fake_scores(text)
            if one["re_promotion"] > 0.5:
                one = fake_scores("nothing to see")
            scores.append(one)
        return scores, "fake-model@2"

    handler.predict = predict
    return handler


def backfill(loaded, handler):
    with BeamTestPipeline() as p:
        build_pipeline(p, loaded, model_handler=handler)


def test_a_new_model_adds_rows_and_becomes_current(store_url):
    loaded = scan_demo(store_url)
    store = HistoryStore(store_url)
    first = store.count("mentions")
    alerts = store.count("alerts")
    backfill(loaded, version_two_handler())
    assert store.count("mentions") == 2 * first  # every mention, once per model version
    assert store.count("mentions", model_version="2") == first
    assert store.count("mentions", is_current=True) == first
    assert store.count("alerts") == alerts  # a backfill revises the record; it pages no one

    current = {r["mention_id"]: r for r in iter_mentions(store.engine, HistoryFilter())}
    assert {r["model_version"] for r in current.values()} == {"2"}
    old = {
        r["mention_id"]: r for r in iter_mentions(store.engine, HistoryFilter(model_version="1"))
    }
    changed = [m for m in current if current[m]["label"] != old[m]["label"]]
    assert changed and all(
        old[m]["label"] == "re_promotion" and current[m]["label"] == "benign" for m in changed
    )
    both = list(
        iter_mentions(store.engine, HistoryFilter(all_versions=True, labels=("re_promotion",)))
    )
    assert {(r["model_version"], r["is_current"]) for r in both} == {
        ("1", False)
    }  # kept, no longer current

    backfill(loaded, version_two_handler())  # the same model again changes nothing
    assert store.count("mentions") == 2 * first
    store.close()


def test_new_subject_terms_find_mentions_in_items_ingest_remembers(store_url):
    loaded = scan_demo(store_url)
    store = HistoryStore(store_url)
    remembered = Item(
        "it_outbox_1",
        "Corner Forum",
        "https://corner-forum.example/t/9",
        "",
        "DJ Larkspur is a pathetic hack",
        fetched_at="2026-11-21T10:00:00Z",
    )
    store.add_new_items([remembered])
    subjects = list(loaded.config.subjects) + [
        loaded.config.subjects[0].model_copy(
            update={
                "name": "DJ Larkspur",
                "aliases": (),
                "handles": (),
                "hashtags": (),
                "known_content": (),
                "context": (),
                "exclude": (),
            }
        )
    ]
    widened = LoadedConfig(
        loaded.config.model_copy(update={"subjects": tuple(subjects)}), loaded.path
    )
    backfill(with_model(widened, None), version_two_handler())
    rows = list(iter_mentions(store.engine, HistoryFilter(subjects=("DJ Larkspur",))))
    assert [(r["item_id"], r["model_version"]) for r in rows] == [("it_outbox_1", "2")]
    store.close()
