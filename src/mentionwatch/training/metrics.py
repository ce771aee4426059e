"""Quality figures for the classifier, shared by training and the benchmarks.

Everything is computed over (expected, predicted) pairs of ``(label,
harassment_type)``: macro-F1 over the three labels, recall per harassment
type (a harassment mention counts as found for its type when it is
predicted as harassment, whatever type; ``type_accuracy`` says how often
the type is also right), and the 3×3 confusion matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mentionwatch.records import HARASSMENT_TYPES, LABELS

Pair = tuple[str, str | None]


def report(expected: Sequence[Pair], predicted: Sequence[Pair]) -> dict:
    """Macro-F1, per-label P/R/F1, per-type recall and the confusion matrix."""
    confusion = {e: {p: 0 for p in LABELS} for e in LABELS}
    for (e_label, _), (p_label, _) in zip(expected, predicted, strict=True):
        confusion[e_label][p_label] += 1
    per_label = {}
    for label in LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[e][label] for e in LABELS) - tp
        fn = sum(confusion[label].values()) - tp
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    type_recall, type_exact = {}, {}
    for kind in HARASSMENT_TYPES:
        rows = [
            (p, e) for e, p in zip(expected, predicted, strict=True) if e == ("harassment", kind)
        ]
        if rows:
            type_recall[kind] = sum(p[0] == "harassment" for p, _ in rows) / len(rows)
            type_exact[kind] = sum(p == e for p, e in rows) / len(rows)
    harassed = [
        (e, p)
        for e, p in zip(expected, predicted, strict=True)
        if e[0] == "harassment" and p[0] == "harassment"
    ]
    return {
        "n": len(expected),
        "macro_f1": sum(v["f1"] for v in per_label.values()) / len(LABELS),
        "per_label": per_label,
        "type_recall": type_recall,
        "type_exact_recall": type_exact,
        "type_accuracy": sum(e[1] == p[1] for e, p in harassed) / len(harassed)
        if harassed
        else 0.0,
        "confusion": confusion,
    }


def format_report(title: str, result: dict) -> str:
    """A plain-text rendering of ``report`` for the console and REPORT.md."""
    lines = [
        f"{title}  (n={result['n']})",
        f"  macro-F1 (harassment / re_promotion / benign): {result['macro_f1']:.3f}",
    ]
    for label, values in result["per_label"].items():
        lines.append(
            f"    {label:<13} P {values['precision']:.3f}  R {values['recall']:.3f}  "
            f"F1 {values['f1']:.3f}  (n={values['support']})"
        )
    lines.append("  harassment recall by type (found as harassment / with the right type):")
    for kind, value in result["type_recall"].items():
        lines.append(f"    {kind:<18} {value:.3f} / {result['type_exact_recall'][kind]:.3f}")
    lines.append(f"  type accuracy on found harassment: {result['type_accuracy']:.3f}")
    lines.append("  confusion (rows expected, columns predicted):")
    lines.append("    " + " " * 13 + "".join(f"{p:>14}" for p in LABELS))
    for e in LABELS:
        lines.append(f"    {e:<13}" + "".join(f"{result['confusion'][e][p]:>14}" for p in LABELS))
    return "\n".join(lines)


def pairs(rows: Iterable[dict]) -> list[Pair]:
    """The (label, harassment type) pair of each row with ``label``/``harassment_type`` keys."""
    return [(r["label"], r.get("harassment_type")) for r in rows]
