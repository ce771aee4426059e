"""The streaming alert policy: bursts, cooldown, pile-ons, as plain Python.

``PolicyEngine`` holds no state of its own; it reads and updates a
``SubjectState`` (one per subject) that the Beam stateful DoFn keeps, so the
whole policy is unit-testable without a pipeline. Times are seconds (event
time: when Pub/Sub received the item).

Timeline for one subject, with the defaults W = ``burst_window_s`` = 600 s
(medium and low severity) and Wh = ``high_burst_window_s`` = 60 s (high):

======  ========================================  ==================================================
t (s)   mention arrives                           what happens
======  ========================================  ==================================================
0       threat (critical)                         alert now. Critical alerts are never held or
                                                  grouped.
0       re-promotion of "Hotel Room Tape"         held until t = W (stored as ``held``)
        (first)
5..300  19 more re-promotions of the same title   folded into the held alert (stored as ``grouped``)
600     the burst window ends (event-time timer)  one alert: kind ``burst``, count 20, related URLs
601     another re-promotion of the same title    a new burst starts, held until t = 1201
10      insult                                    held until t = 10 + W with the other insults
20      incitement (high)                         held until t = 20 + Wh with other incitements
any     same item again (redelivery, two feeds)   same alert id: dropped (ids remembered 24 h)
any     harassment count in the last              pile-on alert now (critical, kind ``pile_on``),
        ``window_s`` exceeds mean + sigmas·std    then none for ``cooldown_s``
        of that subject's counts per window
        over ``baseline_days``, and is at least
        ``min_count``
late    an item whose event time is behind the    decided like any other; if its group's window has
        watermark                                 already passed, the timer fires at once and it
                                                  goes out
======  ========================================  ==================================================

A held alert is written to the store before anything else happens, and a
monitor that dies before the window ends does not lose it:
``mentionwatch pubsub republish`` (run by ``watch`` every cycle) releases
held alerts past their release time with the count they had reached.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import deque
from collections.abc import Mapping, Sequence

from mentionwatch.alerts.selection import make_alert, severity_at_least
from mentionwatch.ids import alert_id as make_alert_id
from mentionwatch.matching.normalize import fold
from mentionwatch.records import Alert, ClassifiedMention

DEDUP_SECONDS = 24 * 3600
MAX_RELATED = 50
_NON_WORD = re.compile(r"[^\w]+|\d+")


@dataclasses.dataclass(frozen=True)
class PileOnParams:
    """When harassment counts as a pile-on (the config's ``alerts.pile_on``; see the timeline)."""

    window_s: int = 3600
    baseline_days: int = 14
    sigmas: float = 3.0
    min_count: int = 5
    cooldown_s: int = 6 * 3600


@dataclasses.dataclass(frozen=True)
class PolicyParams:
    """Plain policy values (from the config's ``alerts`` block)."""

    labels: tuple[str, ...] = ("harassment", "re_promotion")
    min_severity: str = "low"
    burst_window_s: int = 600
    high_burst_window_s: int = 60
    pile_on: PileOnParams = PileOnParams()
    # subject → (min_severity or None, {label: min_score})
    per_subject: Mapping[str, tuple[str | None, Mapping[str, float]]] = dataclasses.field(
        default_factory=dict
    )
    # subject → titles of her known old content (groups re-promotions of one title)
    known_titles: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class Group:
    """A held burst: the first alert of its kind and what joined it."""

    leader: Alert
    release_at: float
    count: int = 1
    related_urls: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class SubjectState:
    """Everything the policy remembers about one subject."""

    groups: dict[str, Group] = dataclasses.field(default_factory=dict)
    seen_ids: dict[str, float] = dataclasses.field(default_factory=dict)
    recent_harassment: deque = dataclasses.field(
        default_factory=deque
    )  # event times in the current window
    window_counts: dict[int, int] = dataclasses.field(
        default_factory=dict
    )  # window index → harassment count
    last_pile_on: float | None = None
    seeded: bool = False


@dataclasses.dataclass
class Decision:
    """What to do with one mention."""

    emit: list[Alert] = dataclasses.field(default_factory=list)  # publish now
    hold: list[tuple[Alert, str, float]] = dataclasses.field(
        default_factory=list
    )  # (alert, group key, release at)
    grouped: list[tuple[Alert, Alert]] = dataclasses.field(
        default_factory=list
    )  # (alert, the burst it joined, as of now)


class PolicyEngine:
    """The streaming policy over one subject's ``SubjectState`` (see the module timeline)."""

    def __init__(self, params: PolicyParams):
        self.params = params

    # ---------------------------------------------------------------- selection

    def select(self, classified: ClassifiedMention) -> Alert | None:
        """The alert for a mention, or None (label, severity and score rules)."""
        result = classified.classification
        params = self.params
        if result.label not in params.labels:
            return None
        alert = make_alert(classified, params.known_titles.get(classified.mention.subject, ()))
        minimum, min_scores = params.per_subject.get(alert.subject, (None, {}))
        if alert.severity == "none" or not severity_at_least(
            alert.severity, minimum or params.min_severity
        ):
            return None
        if float(result.scores.get(result.label, 0.0)) < float(min_scores.get(result.label, 0.0)):
            return None
        return alert

    def group_key(self, alert: Alert, classified: ClassifiedMention) -> str:
        """Alerts with the same key inside one window become one alert."""
        if alert.label == "re_promotion":
            if alert.known_content:  # the known work it names (selection.known_work)
                return f"re_promotion|{alert.known_content}"
            item = classified.mention.item
            title_words = " ".join(_NON_WORD.sub(" ", fold(item.title)).split()[:8])
            return f"re_promotion|{title_words or alert.source}"
        return f"{alert.label}|{alert.harassment_type}"

    def window_for(self, alert: Alert) -> int:
        """Seconds an alert is held to group others with it; 0 (never held) for critical ones."""
        if alert.severity == "critical":
            return 0
        if alert.severity == "high":
            return self.params.high_burst_window_s
        return self.params.burst_window_s

    # ---------------------------------------------------------------- events

    def decide(self, state: SubjectState, classified: ClassifiedMention, now: float) -> Decision:
        """One mention at event time ``now``: what to emit, hold or group; updates ``state``."""
        decision = Decision()
        self._forget_old_ids(state, now)
        if classified.classification.label == "harassment":
            pile_on = self._pile_on(state, classified, now)
            if pile_on is not None:
                decision.emit.append(pile_on)
        alert = self.select(classified)
        if alert is None or alert.alert_id in state.seen_ids:
            return decision
        state.seen_ids[alert.alert_id] = now
        window = self.window_for(alert)
        if window <= 0:
            decision.emit.append(alert)
            return decision
        key = self.group_key(alert, classified)
        group = state.groups.get(key)
        if group is not None and now < group.release_at:
            group.count += 1
            if alert.url and len(group.related_urls) < MAX_RELATED:
                group.related_urls.append(alert.url)
            decision.grouped.append((alert, self._burst(group)))
            return decision
        release_at = now + window
        state.groups[key] = Group(alert, release_at)
        decision.hold.append((alert, key, release_at))
        return decision

    def release(self, state: SubjectState, now: float) -> list[Alert]:
        """Closes every burst window that has ended; returns their alerts."""
        due = [key for key, group in state.groups.items() if group.release_at <= now]
        released = []
        for key in sorted(due, key=lambda k: state.groups[k].release_at):
            released.append(self._burst(state.groups.pop(key)))
        return released

    @staticmethod
    def _burst(group: Group) -> Alert:
        """The alert a group stands for: its leader, or a burst with a count."""
        if group.count == 1:
            return group.leader
        return dataclasses.replace(
            group.leader, kind="burst", count=group.count, related_urls=tuple(group.related_urls)
        )

    @staticmethod
    def next_release(state: SubjectState) -> float | None:
        """When the earliest held burst is due; None when nothing is held."""
        return min((g.release_at for g in state.groups.values()), default=None)

    # ---------------------------------------------------------------- pile-ons

    def seed(self, state: SubjectState, harassment_times: Sequence[float]) -> None:
        """Loads the subject's history (e.g. from the store) into the baseline."""
        window = self.params.pile_on.window_s
        for moment in harassment_times:
            index = int(moment // window)
            state.window_counts[index] = state.window_counts.get(index, 0) + 1
        state.seeded = True

    def baseline(self, state: SubjectState, now: float) -> tuple[float, float]:
        """Mean and standard deviation of harassment per window, over the baseline days."""
        params = self.params.pile_on
        current = int(now // params.window_s)
        windows = max(1, params.baseline_days * 86_400 // params.window_s)
        first = current - windows
        for index in [i for i in state.window_counts if i < first]:
            del state.window_counts[index]
        counts = [state.window_counts.get(i, 0) for i in range(first, current)]
        mean = sum(counts) / len(counts)
        variance = sum((c - mean) ** 2 for c in counts) / len(counts)
        return mean, math.sqrt(variance)

    def _pile_on(
        self, state: SubjectState, classified: ClassifiedMention, now: float
    ) -> Alert | None:
        params = self.params.pile_on
        mean, std = self.baseline(state, now)  # before this mention is counted
        recent = state.recent_harassment
        recent.append(now)
        while recent and recent[0] <= now - params.window_s:
            recent.popleft()
        index = int(now // params.window_s)
        state.window_counts[index] = state.window_counts.get(index, 0) + 1
        count = len(recent)
        if count < params.min_count or count <= mean + params.sigmas * std:
            return None
        if state.last_pile_on is not None and now - state.last_pile_on < params.cooldown_s:
            return None
        state.last_pile_on = now
        base = make_alert(classified)
        hours = params.window_s / 3600
        span = (
            f"{hours:g} hour{'s' if hours != 1 else ''}"
            if hours >= 1
            else f"{params.window_s // 60} minutes"
        )
        return dataclasses.replace(
            base,
            alert_id=make_alert_id(base.subject, f"pile_on:{index}", "harassment"),
            kind="pile_on",
            harassment_type=None,
            severity="critical",
            count=count,
            title=f"Pile-on: {count} harassing mentions in {span}",
            excerpt=(
                f"{count} harassing mentions of {base.subject} in the last {span}; "
                f"usual level {mean:.1f} per {span} (± {std:.1f})."
            ),
            content_warning=False,
        )

    @staticmethod
    def _forget_old_ids(state: SubjectState, now: float) -> None:
        if len(state.seen_ids) > 1000 or (
            state.seen_ids and min(state.seen_ids.values()) < now - DEDUP_SECONDS
        ):
            state.seen_ids = {k: t for k, t in state.seen_ids.items() if t >= now - DEDUP_SECONDS}


def params_from_config(alerts_block, subjects) -> PolicyParams:
    """Plain ``PolicyParams`` from the config's ``alerts`` block and subjects."""
    pile = alerts_block.pile_on
    return PolicyParams(
        labels=tuple(alerts_block.labels),
        min_severity=alerts_block.min_severity,
        burst_window_s=alerts_block.burst_window_s,
        high_burst_window_s=alerts_block.high_burst_window_s,
        pile_on=PileOnParams(
            pile.window_s, pile.baseline_days, pile.sigmas, pile.min_count, pile.cooldown_s
        ),
        per_subject={
            name: (override.min_severity, override.min_score.model_dump())
            for name, override in alerts_block.subjects.items()
        },
        known_titles={s.name: tuple(k.title for k in s.known_content) for s in subjects},
    )
