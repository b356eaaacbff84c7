"""The per-class table ``convcanvas train`` prints for classification and multi-label runs: sensitivity and
specificity at 0.5 and at the operating point chosen on validation, ROC and PR AUC, then calibration
(the expected calibration error and the reliability diagram as rows)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def _number(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def clinical_lines(metrics: dict[str, Any], class_names: Sequence[str]) -> list[str]:
    """Empty when the run has no such metrics (segmentation, detection, no validation yet)."""
    if not metrics.get("val_auc"):
        return []
    target = metrics["val_target_sensitivity"]
    header = ("class", "positives", "ROC AUC", "PR AUC", "sens@0.5", "spec@0.5", "threshold",
              f"sens@{target:.0%}", "spec")
    rows = [header]
    for index, name in enumerate(class_names):
        rows.append((name, str(metrics["val_positives"][index]), _number(metrics["val_auc"][index]),
                     _number(metrics["val_ap"][index]), _number(metrics["val_sensitivity"][index], True),
                     _number(metrics["val_specificity"][index], True), f"{metrics['val_threshold'][index]:.3f}",
                     _number(metrics["val_sensitivity_at_threshold"][index], True),
                     _number(metrics["val_specificity_at_threshold"][index], True)))
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [f"validation, per class (operating point: the highest threshold reaching sensitivity {target:.0%}):"]
    lines += ["  " + "  ".join(cell.ljust(width) if column == 0 else cell.rjust(width)
                               for column, (cell, width) in enumerate(zip(row, widths))) for row in rows]
    reliability = metrics["val_reliability"]
    bins = len(reliability["count"])
    lines.append(f"calibration: expected calibration error {metrics['val_ece']:.3f} ({bins} bins); reliability "
                 "(predicted → observed, images):")
    for index, (confidence, frequency, count) in enumerate(zip(reliability["confidence"], reliability["frequency"],
                                                               reliability["count"])):
        if count:
            lines.append(f"  {index / bins:.1f}–{(index + 1) / bins:.1f}: {confidence:.2f} → {frequency:.2f}  ({count})")
    return lines
