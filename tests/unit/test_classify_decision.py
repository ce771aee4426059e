"""The documented decision (classify.decision) and the record it produces, no model needed."""

from mentionwatch.classify.decision import decide
from mentionwatch.classify.labels import CLASSES, label_scores
from mentionwatch.classify.transform import classify_one
from mentionwatch.records import Item, Mention, Span

T = {
    "harassment": 0.5,
    "re_promotion": 0.5,
    "type:threat": 0.3,
    "type:doxxing": 0.3,
    "type:other": 0.5,
}


def scores(**probs):
    row = [probs.get(c, 0.0) for c in CLASSES]
    row[0] += 1.0 - sum(row)
    return label_scores(row, CLASSES)


def test_harassment_wins_over_re_promotion():
    assert decide(scores(sexual_harassment=0.55, re_promotion=0.4), T) == (
        "harassment",
        "sexual_harassment",
    )


def test_type_follows_severity_order_once_a_type_reaches_its_threshold():
    # insult is the most probable type, but threat's share (0.35) reaches type:threat.
    assert decide(scores(insult=0.4, threat=0.25, incitement=0.05), T) == ("harassment", "threat")
    assert decide(scores(insult=0.6, threat=0.05), T) == ("harassment", "insult")


def test_below_both_thresholds_is_benign():
    assert decide(scores(doxxing=0.3, re_promotion=0.3), T) == ("benign", None)
    assert decide(scores(re_promotion=0.6), T) == ("re_promotion", None)


def test_missing_thresholds_fall_back_to_defaults():
    assert decide(scores(threat=0.9), {"harassment": 0.5, "re_promotion": 0.5}) == (
        "harassment",
        "threat",
    )


def test_each_classification_records_model_version_and_thresholds():
    item = Item("i1", "feed", "https://tube.example/v/1", "", "Dana Reyes full video 2026")
    mention = Mention(item, "Dana Reyes", (Span("text", 0, 10, "Dana Reyes", "dana reyes"),))
    c = classify_one(
        mention, scores(re_promotion=0.8), "mentionwatch/x@2026.1+onnx-int8", T
    ).classification
    assert (c.label, c.model_id, c.model_version) == (
        "re_promotion",
        "mentionwatch/x",
        "2026.1+onnx-int8",
    )
    assert c.thresholds == T and c.signals == ()
    assert c.to_json()["label"] == "re_promotion"
