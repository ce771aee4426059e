"""ClassifyMentions with the fake model: the decision, the record, dead letters."""

import apache_beam as beam
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to
from helpers import make_fake_handler

from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.records import Item, Mention, Span

pytestmark = pytest.mark.pipeline

T = {"harassment": 0.5, "re_promotion": 0.5}


def mention(item_id, text, url=""):
    return Mention(
        Item(item_id, "feed", url, "", text),
        "Dana Reyes",
        (Span("text", 0, 10, "Dana Reyes", "dana reyes"),),
    )


def test_decisions_records_and_dead_letters_in_the_stage():
    mentions = [
        mention("threat", "Dana Reyes, I will kill you"),
        mention("promo", "Dana Reyes leaked full video, watch free"),
        mention("bad", "Dana Reyes RAISE_IN_MODEL"),
    ]

    def labels(results):
        got = sorted(
            (r.mention.item.id, r.classification.label, r.classification.harassment_type)
            for r in results
        )
        assert got == [("promo", "re_promotion", None), ("threat", "harassment", "threat")], got
        by_id = {r.mention.item.id: r.classification for r in results}
        assert by_id["threat"].model_id == "fake-model" and by_id["threat"].thresholds == T

    with test_pipeline.TestPipeline() as p:
        result = p | beam.Create(mentions) | ClassifyMentions(make_fake_handler(), T)
        assert_that(result.classified, labels)
        assert_that(
            result.errors | beam.Map(lambda d: d.stage),
            equal_to(["ClassifyMentions"]),
            label="OneDeadLetter",
        )
