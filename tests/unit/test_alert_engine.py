"""The streaming alert policy's timeline, without a pipeline."""

import pytest
from helpers import T0
from helpers import classified_mention as mention

from mentionwatch.alerts.engine import PileOnParams, PolicyEngine, PolicyParams, SubjectState

PARAMS = PolicyParams(
    burst_window_s=600,
    high_burst_window_s=60,
    pile_on=PileOnParams(
        window_s=3600, baseline_days=14, sigmas=3.0, min_count=5, cooldown_s=6 * 3600
    ),
    known_titles={"Dana Reyes": ("Dana Reyes - Hotel Room Tape",)},
)


def test_threats_are_never_held():
    engine, state = PolicyEngine(PARAMS), SubjectState(seeded=True)
    first = engine.decide(state, mention("a", "harassment", "threat"), T0)
    second = engine.decide(state, mention("b", "harassment", "threat"), T0 + 1)
    assert [a.item_id for a in first.emit + second.emit] == ["a", "b"]
    assert not state.groups


def test_twenty_re_promotions_of_one_title_become_one_alert_with_a_count():
    engine, state = PolicyEngine(PARAMS), SubjectState(seeded=True)
    held = engine.decide(
        state, mention("p0", "re_promotion", title="NEW Dana Reyes Hotel Room Tape 2026"), T0
    )
    assert held.emit == [] and held.hold[0][2] == T0 + 600
    for n in range(1, 20):
        # other sites, other spellings, same old title
        title = f"dana reyes - hotel room tape FULL ({n})"
        decision = engine.decide(state, mention(f"p{n}", "re_promotion", title=title), T0 + n * 10)
        ((_, burst_so_far),) = decision.grouped
        assert burst_so_far.alert_id == held.hold[0][0].alert_id and burst_so_far.count == n + 1
    assert engine.release(state, T0 + 599) == []
    (burst,) = engine.release(state, T0 + 600)
    assert (burst.kind, burst.count, burst.item_id) == ("burst", 20, "p0")
    assert len(burst.related_urls) == 19
    # After the window a new burst starts.
    assert engine.decide(
        state, mention("p20", "re_promotion", title="Hotel Room Tape"), T0 + 601
    ).hold


def test_different_titles_are_different_bursts():
    engine, state = PolicyEngine(PARAMS), SubjectState(seeded=True)
    engine.decide(state, mention("x", "re_promotion", title="Dana Reyes Hotel Room Tape"), T0)
    other = engine.decide(
        state, mention("y", "re_promotion", title="Dana Reyes beach pics leaked"), T0 + 5
    )
    assert other.hold and len(state.groups) == 2
    assert sorted(a.item_id for a in engine.release(state, T0 + 700)) == ["x", "y"]


def test_high_severity_uses_the_short_window_and_a_single_alert_stays_a_mention():
    engine, state = PolicyEngine(PARAMS), SubjectState(seeded=True)
    decision = engine.decide(state, mention("i", "harassment", "incitement"), T0)
    assert decision.hold[0][2] == T0 + 60
    (alert,) = engine.release(state, T0 + 60)
    assert (alert.kind, alert.count) == ("mention", 1)


def test_the_same_item_twice_alerts_once():
    engine, state = PolicyEngine(PARAMS), SubjectState(seeded=True)
    assert engine.decide(state, mention("a", "harassment", "threat"), T0).emit
    assert engine.decide(state, mention("a", "harassment", "threat"), T0 + 30).emit == []


def test_benign_and_below_policy_mentions_do_not_alert():
    params = PolicyParams(
        per_subject={"Dana Reyes": ("high", {"harassment": 0.0, "re_promotion": 0.9})}
    )
    engine, state = PolicyEngine(params), SubjectState(seeded=True)
    assert engine.decide(state, mention("b", "benign"), T0).emit == []
    insult = engine.decide(state, mention("c", "harassment", "insult"), T0)  # medium < high for her
    assert not (insult.emit or insult.hold)
    promo = engine.decide(state, mention("d", "re_promotion", score=0.8), T0)  # below her 0.9
    assert not (promo.emit or promo.hold)


def test_pile_on_fires_above_the_baseline_once_per_cooldown():
    engine, state = PolicyEngine(PARAMS), SubjectState()
    # A quiet history: 1 harassing mention a day for 14 days.
    engine.seed(state, [T0 - d * 86_400 for d in range(1, 15)])
    emitted = []
    for n in range(8):
        decision = engine.decide(state, mention(f"h{n}", "harassment", "insult"), T0 + n * 60)
        emitted += [a for a in decision.emit if a.kind == "pile_on"]
    (pile_on,) = emitted
    assert (pile_on.severity, pile_on.count, pile_on.content_warning) == ("critical", 5, False)
    assert "5 harassing mentions of Dana Reyes" in pile_on.excerpt


def test_a_busy_baseline_raises_the_bar():
    engine, state = PolicyEngine(PARAMS), SubjectState()
    # Every hour of the last 14 days saw between 0 and 12 harassing mentions.
    history = [T0 - h * 3600 - m for h in range(1, 14 * 24) for m in range((h * 7) % 13)]
    engine.seed(state, history)
    mean, std = engine.baseline(state, T0)
    assert mean == pytest.approx(6, abs=0.5) and std > 3
    for n in range(10):
        assert all(
            a.kind != "pile_on"
            for a in engine.decide(state, mention(f"h{n}", "harassment", "insult"), T0 + n).emit
        )
