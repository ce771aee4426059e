"""ClassifyMentions with the fake model: evidence from the subject's config, dead letters."""

import apache_beam as beam
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that, equal_to
from helpers import make_fake_handler

from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.records import Item, Mention, Span
from mentionwatch.subjects import KnownTitle, SubjectSpec

pytestmark = pytest.mark.pipeline

DANA = SubjectSpec("Dana Reyes", known_content=(KnownTitle("Dana Reyes - Hotel Room Tape", "2019-03-14"),))
T = {"harassment": 0.5, "re_promotion": 0.5, "evidence:doxxing": 0.01}


def mention(item_id, text, url=""):
    return Mention(Item(item_id, "feed", url, "", text), "Dana Reyes", (Span("text", 0, 10, "Dana Reyes", "dana reyes"),))


def test_evidence_and_dead_letters_in_the_stage():
    mentions = [
        mention("dox", "Dana Reyes is so pathetic. her number is 555-010-4477"),
        mention("promo", "Dana Reyes hotel room tape 2026, watch free"),
        mention("bad", "Dana Reyes RAISE_IN_MODEL"),
    ]

    def labels(results):
        got = sorted((r.mention.item.id, r.classification.label, r.classification.harassment_type) for r in results)
        assert got == [("dox", "harassment", "doxxing"), ("promo", "re_promotion", None)], got
        by_id = {r.mention.item.id: r.classification for r in results}
        assert "pii:phone" in by_id["dox"].signals and by_id["dox"].model_id == "fake-model"
        assert {"promo:title", "promo:newness", "promo:availability"} <= set(by_id["promo"].signals)

    with test_pipeline.TestPipeline() as p:
        result = p | beam.Create(mentions) | ClassifyMentions(make_fake_handler(), T, (DANA,))
        assert_that(result.classified, labels)
        assert_that(result.errors | beam.Map(lambda d: d.stage), equal_to(["ClassifyMentions"]), label="OneDeadLetter")
