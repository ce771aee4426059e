"""The documented decision (classify.decision) and the record it produces, no model needed."""

import pytest

from mentionwatch.classify.decision import decide, decide_with_evidence
from mentionwatch.classify.labels import CLASSES, label_scores
from mentionwatch.classify.signals import Evidence
from mentionwatch.classify.transform import classify_one
from mentionwatch.records import Item, Mention, Span
from mentionwatch.subjects import KnownTitle, SubjectSpec

T = {
    "harassment": 0.5,
    "re_promotion": 0.5,
    "type:threat": 0.3,
    "type:doxxing": 0.3,
    "type:other": 0.5,
    "evidence:doxxing": 0.5,
    "evidence:re_promotion": 0.5,
}


def scores(**probs):
    row = [probs.get(c, 0.0) for c in CLASSES]
    row[0] += 1.0 - sum(row)
    return label_scores(row, CLASSES)


def test_harassment_wins_over_re_promotion():
    assert decide(scores(sexual_harassment=0.55, re_promotion=0.4), T) == ("harassment", "sexual_harassment")


def test_type_follows_severity_order_once_a_type_reaches_its_threshold():
    # insult is the most probable type, but threat's share (0.35) reaches type:threat.
    assert decide(scores(insult=0.4, threat=0.25, incitement=0.05), T) == ("harassment", "threat")
    assert decide(scores(insult=0.6, threat=0.05), T) == ("harassment", "insult")


def test_evidence_lowers_the_bar_but_never_labels_a_clean_text():
    pii = Evidence(("pii:phone",))
    assert decide(scores(doxxing=0.3), T) == ("benign", None)
    assert decide(scores(doxxing=0.3), T, pii) == ("harassment", "doxxing")
    assert decide(scores(doxxing=0.1), T, pii) == ("benign", None)  # below 0.5 × 0.5


def test_doxxing_evidence_sets_the_type_except_for_threats():
    pii = Evidence(("pii:address",))
    assert decide(scores(insult=0.7), T, pii) == ("harassment", "doxxing")
    assert decide(scores(threat=0.7), T, pii) == ("harassment", "threat")


def test_advocacy_context_cancels_evidence():
    assert decide(scores(doxxing=0.3), T, Evidence(("pii:address", "context:advocacy"))) == ("benign", None)


def test_re_promotion_needs_two_kinds_of_evidence_to_lower_its_bar():
    assert decide(scores(re_promotion=0.3), T, Evidence(("promo:title",))) == ("benign", None)
    decision = decide_with_evidence(scores(re_promotion=0.3), T, Evidence(("promo:title", "promo:newness")))
    assert (decision.label, decision.signals) == ("re_promotion", ("promo:title", "promo:newness"))


def test_missing_rule_thresholds_fall_back_to_defaults():
    assert decide(scores(threat=0.9), {"harassment": 0.5, "re_promotion": 0.5}) == ("harassment", "threat")


@pytest.fixture
def mention():
    item = Item("i1", "feed", "https://tube.example/video/dana-reyes-hotel-room-tape-full-2026", "", "Dana Reyes Hotel Room Tape 2026 watch free")
    return Mention(item, "Dana Reyes", (Span("text", 0, 10, "Dana Reyes", "dana reyes"),))


def test_each_classification_records_model_thresholds_and_signals(mention):
    subject = SubjectSpec("Dana Reyes", known_content=(KnownTitle("Dana Reyes - Hotel Room Tape", "2019-03-14"),))
    text = mention.item.text + "\ntube example video dana reyes hotel room tape full 2026"
    result = classify_one(mention, text, scores(re_promotion=0.3), "mentionwatch/x@2026.1+onnx-int8", T, {"Dana Reyes": subject})
    c = result.classification
    assert (c.label, c.model_id, c.model_version) == ("re_promotion", "mentionwatch/x", "2026.1+onnx-int8")
    assert c.thresholds == T
    assert "promo:title" in c.signals and "rule:evidence" in c.signals
    assert c.to_json()["signals"] == list(c.signals)


def test_without_subjects_the_model_alone_decides(mention):
    result = classify_one(mention, mention.item.text, scores(re_promotion=0.8), "m@1", T, {})
    assert result.classification.label == "re_promotion" and "rule:evidence" not in result.classification.signals
