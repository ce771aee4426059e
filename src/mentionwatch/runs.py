"""Reading a finished Beam run's counters, for the summaries commands print.

Every stage counts what it does with Beam metrics (namespace
``mentionwatch.<stage>``); a command's summary is a view over those totals.
"""

from __future__ import annotations

import collections

LABELS = ("harassment", "re_promotion", "benign")


class Totals(collections.Counter):
    """Committed counter values keyed by ``(namespace, name)``."""

    @classmethod
    def of(cls, result) -> Totals:
        """The committed counters of a finished ``PipelineResult``."""
        totals = cls()
        for counter in result.metrics().query()["counters"]:
            metric = counter.key.metric
            totals[(metric.namespace, metric.name)] += counter.committed or 0
        return totals

    def namespace(self, namespace: str) -> dict[str, int]:
        """The counters of one namespace, by name."""
        return {name: value for (space, name), value in self.items() if space == namespace}

    def labels(self) -> dict[str, int]:
        """Mentions classified per label (``mentionwatch.classify``)."""
        counts = self.namespace("mentionwatch.classify")
        return {label: counts[label] for label in LABELS if label in counts}

    def dead_letters(self) -> dict[str, int]:
        """Dead letters per stage (``mentionwatch.deadletter``)."""
        return self.namespace("mentionwatch.deadletter")


def labels_text(labels: dict[str, int]) -> str:
    """``harassment N, re_promotion N, benign N`` for a summary line."""
    return ", ".join(f"{label} {labels.get(label, 0)}" for label in LABELS)


def dead_letters_line(dead_letters: dict[str, int]) -> str:
    """The summary's dead-letters line: the total, then the count per stage."""
    detail = ", ".join(f"{k} {v}" for k, v in sorted(dead_letters.items())) or "none"
    return f"dead letters    {sum(dead_letters.values())}  ({detail})"
