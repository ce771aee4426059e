from mentionwatch.alerts.masking import mask
from mentionwatch.alerts.selection import make_alert, select, severity
from mentionwatch.classify.decision import decide
from mentionwatch.classify.labels import CLASSES, label_scores
from mentionwatch.ids import alert_id
from mentionwatch.records import Classification, ClassifiedMention, Item, Mention, Span

THRESHOLDS = {"harassment": 0.5, "re_promotion": 0.5}


def classified(label, harassment_type=None, score=0.9, text="some text"):
    item = Item(
        "it_1",
        "forum",
        "https://f.example/1",
        "title",
        text,
        published_at="2026-11-22T10:00:00Z",
        raw_ref="abc",
    )
    mention = Mention(item, "Dana Reyes", (Span("text", 0, 4, "Dana", "dana"),))
    scores = {"harassment": 0.0, "re_promotion": 0.0, "benign": 0.0, label: score}
    return ClassifiedMention(
        mention, Classification(label, harassment_type, scores, "m", "1", THRESHOLDS)
    )


def test_label_scores_sum_the_harassment_types():
    probs = [0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05]
    scores = label_scores(probs, CLASSES)
    assert round(scores["harassment"], 6) == 0.7
    assert round(scores["type:threat"], 6) == round(0.3 / 0.7, 6)
    assert round(sum(scores[f"type:{t}"] for t in CLASSES[2:]), 6) == 1.0


def test_decision_prefers_harassment_then_re_promotion():
    both = {
        "harassment": 0.6,
        "re_promotion": 0.9,
        "benign": 0.1,
        "type:insult": 0.7,
        "type:threat": 0.3,
    }
    assert decide(both, THRESHOLDS) == ("harassment", "insult")
    promo = {"harassment": 0.2, "re_promotion": 0.7, "benign": 0.1}
    assert decide(promo, THRESHOLDS) == ("re_promotion", None)
    assert decide({"harassment": 0.4, "re_promotion": 0.4, "benign": 0.2}, THRESHOLDS) == (
        "benign",
        None,
    )


def test_severity_table():
    assert severity("harassment", "threat", 0.51, 0.5) == "critical"  # never lowered
    assert severity("harassment", "doxxing", 0.99, 0.5) == "critical"
    assert severity("harassment", "incitement", 0.9, 0.5) == "high"
    assert severity("harassment", "incitement", 0.55, 0.5) == "medium"  # borderline: one step down
    assert severity("harassment", "insult", 0.9, 0.5) == "medium"
    assert severity("re_promotion", None, 0.9, 0.5) == "medium"
    assert severity("re_promotion", None, 0.52, 0.5) == "low"
    assert severity("benign", None, 0.99, 0.5) == "none"


def test_alert_ids_come_from_content():
    first = make_alert(classified("harassment", "threat"))
    again = make_alert(classified("harassment", "threat"))
    assert first.alert_id == again.alert_id == alert_id("Dana Reyes", "it_1", "harassment")
    assert make_alert(classified("re_promotion")).alert_id != first.alert_id
    assert first.attributes() == {
        "subject": "Dana Reyes",
        "label": "harassment",
        "severity": "critical",
        "alert_id": first.alert_id,
    }
    body = first.to_json()
    assert body["schema_version"] == 1 and body["evidence_ref"] == "abc"


def test_policy_selects_by_label_and_minimum_severity():
    assert select(classified("benign"), ["harassment", "re_promotion"], "low") is None
    assert select(classified("re_promotion"), ["harassment"], "low") is None
    assert select(classified("harassment", "insult"), ["harassment"], "high") is None
    assert select(classified("harassment", "threat"), ["harassment"], "high").severity == "critical"


def test_abusive_text_is_masked_by_default():
    alert = make_alert(classified("harassment", "threat", text="I will hurt you, Dana"))
    assert alert.content_warning
    shown = mask(alert)
    assert "hurt" not in shown and shown == "[content hidden: harassment: threat, 21 characters]"
