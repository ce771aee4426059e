"""The monitor's graph on streaming TestStream input, with a fake model and a real store."""

import json
import textwrap

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from helpers import T0

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.monitor import MonitorItems
from mentionwatch.messages import encode_items
from mentionwatch.records import Item, utc_now
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.pipeline


def loaded_config(tmp_path):
    text = textwrap.dedent(
        f"""
        subjects:
          - name: Dana Reyes
          - name: Lucía Campos
        store:
          url: sqlite:///{tmp_path}/h.db
        model:
          thresholds: {{harassment: 0.5, re_promotion: 0.5}}
        alerts:
          burst_window_s: 600
        """
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return LoadedConfig(parse_config(text, str(path)), path)


def item(item_id, text):
    return Item(item_id, "forum", f"https://f.example/{item_id}", "", text, fetched_at=utc_now())


def test_monitor_confirms_each_item_once_its_mentions_are_decided(tmp_path, fake_handler):
    loaded = loaded_config(tmp_path)
    store = HistoryStore(loaded.config.store.url)
    items = [
        item("quiet", "nothing about anyone"),
        item("threat", "Dana Reyes I will kill you"),
        item("both", "Dana Reyes and Lucía Campos are losers, pathetic"),
        item("done", "Dana Reyes I will kill you again"),
    ]
    store.add_new_items(items)  # ingest's outbox
    store.set_mentions_expected({"done": 0})  # an item an earlier monitor run finished
    messages = [
        encode_items(items[:2])[0],
        encode_items(items[2:])[0],
        b"{not json",
        json.dumps({"id": "pushed", "text": "Dana Reyes hi"}).encode(),
    ]
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    events = (
        BeamTestStream()
        .advance_watermark_to(T0)
        .add_elements(messages)
        .advance_watermark_to_infinity()
    )
    with BeamTestPipeline(options=options) as p:
        out = p | events | MonitorItems(loaded, emulator_host=None, model_handler=fake_handler)
        assert_that(
            out.classified
            | beam.Map(lambda c: (c.mention.item.id, c.mention.subject, c.classification.label)),
            equal_to(
                [
                    ("threat", "Dana Reyes", "harassment"),
                    ("both", "Dana Reyes", "harassment"),
                    ("both", "Lucía Campos", "harassment"),
                    ("pushed", "Dana Reyes", "benign"),
                ]
            ),
            label="Classified",
        )
        assert_that(
            out.dead_letters | beam.Map(lambda d: d.stage),
            equal_to(["DecodeItems"]),
            label="Errors",
        )
    assert store.processed_item_ids(["quiet", "threat", "both", "done"]) == {
        "quiet",
        "threat",
        "both",
        "done",
    }
    # No pubsub block: alerts are recorded "local". The threat went out at once; each subject's
    # insult was held for its burst window and released when the stream ended.
    assert store.count("alerts", status="local") == 3
    assert store.count("alerts", status="held") == store.count("alerts", status="pending") == 0
    assert store.count("mentions", subject="Lucía Campos") == 1
