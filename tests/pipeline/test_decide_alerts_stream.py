"""The streaming DecideAlerts on the DirectRunner, driven by TestStream."""

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.test_stream import TestStream as BeamTestStream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms.window import TimestampedValue
from helpers import T0
from helpers import classified_mention as mention

from mentionwatch.alerts.engine import PileOnParams, PolicyParams
from mentionwatch.alerts.transform import DecideAlerts
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.pipeline

PARAMS = PolicyParams(
    burst_window_s=600,
    high_burst_window_s=60,
    pile_on=PileOnParams(min_count=50),
    known_titles={"Dana Reyes": ("Dana Reyes - Hotel Room Tape",)},
)


def streaming_pipeline():
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return BeamTestPipeline(options=options)


def summary(alert):
    return alert.item_id, alert.kind, alert.count


def test_timeline_threat_now_burst_at_window_end(tmp_path):
    store_url = f"sqlite:///{tmp_path}/h.db"
    store = HistoryStore(store_url)
    promos = [
        mention(f"p{n}", "re_promotion", title="Dana Reyes Hotel Room Tape NEW") for n in range(20)
    ]
    store.write_mentions(promos)
    events = (
        BeamTestStream()
        .advance_watermark_to(T0)
        .add_elements([TimestampedValue(mention("t1", "harassment", "threat"), T0)])
        .add_elements([TimestampedValue(m, T0 + 10 * n) for n, m in enumerate(promos)])
        .advance_watermark_to(T0 + 300)
        .add_elements([TimestampedValue(mention("t2", "harassment", "threat"), T0 + 301)])
        .advance_watermark_to(T0 + 601)
        .add_elements(
            [TimestampedValue(mention("p20", "re_promotion", title="Hotel Room Tape"), T0 + 700)]
        )
        .advance_watermark_to(T0 + 1301)  # p20's own window closes
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        decided = p | events | DecideAlerts(PARAMS, streaming=True, store_url=store_url)
        assert_that(
            decided.alerts | beam.Map(summary),
            equal_to(
                [
                    ("t1", "mention", 1),
                    ("t2", "mention", 1),
                    ("p0", "burst", 20),
                    ("p20", "mention", 1),
                ]
            ),
        )
    # Every decision was recorded: the burst's members as grouped, its leader released to pending.
    assert store.count("alerts", status="grouped") == 19
    assert (
        store.count("alerts", status="pending") == 2
    )  # the two threats, recorded before they were emitted
    # Held leaders stay "held" until PublishAlerts records them released (not part of this graph).
    assert store.count("alerts", status="held") == 2


def test_a_redelivered_mention_alerts_once():
    threat = mention("t1", "harassment", "threat")
    events = (
        BeamTestStream()
        .advance_watermark_to(T0)
        .add_elements([TimestampedValue(threat, T0), TimestampedValue(threat, T0 + 5)])
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        decided = p | events | DecideAlerts(PARAMS, streaming=True)
        assert_that(decided.alerts | beam.Map(summary), equal_to([("t1", "mention", 1)]))


def test_policy_clock_survives_batching_stages(fake_handler):
    """RunInference re-stamps its outputs; the policy still sees when items were observed."""
    from mentionwatch.classify.transform import ClassifyMentions
    from mentionwatch.records import Item, Mention, Span

    def at(item_id, seconds, text):
        observed = dt.datetime.fromtimestamp(T0 + seconds, dt.UTC)
        item = Item(
            item_id, "s", f"https://s.example/{item_id}", "", text, fetched_at=observed.isoformat()
        )
        return TimestampedValue(
            Mention(item, "Dana Reyes", (Span("text", 0, 10, "Dana Reyes", "dana reyes"),)),
            T0 + seconds,
        )

    events = (
        BeamTestStream()
        .advance_watermark_to(T0)
        .add_elements(
            [at("a", 0, "Dana Reyes, you pathetic loser"), at("b", 30, "Dana Reyes is an idiot")]
        )
        .advance_watermark_to(T0 + 700)
        .add_elements([at("c", 701, "Dana Reyes what a loser")])
        .advance_watermark_to(T0 + 1400)
        .advance_watermark_to_infinity()
    )
    with streaming_pipeline() as p:
        classified = (
            p | events | ClassifyMentions(fake_handler, {"harassment": 0.5, "re_promotion": 0.5})
        )
        decided = classified.classified | DecideAlerts(PARAMS, streaming=True)
        # a and b share one insult burst (window 600 s from t=0); c starts the next one.
        assert_that(
            decided.alerts | beam.Map(summary), equal_to([("a", "burst", 2), ("c", "mention", 1)])
        )
