"""The per-class table ``convcanvas train`` prints for classification and multi-label runs: sensitivity and
specificity at 0.5 and at the operating point chosen on validation, ROC and PR AUC, then calibration
(the expected calibration error and the reliability diagram as rows)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..tasks.clinical import clinical_table


def clinical_lines(metrics: dict[str, Any], class_names: Sequence[str]) -> list[str]:
    """Empty when the run has no such metrics (segmentation, detection, no validation yet)."""
    header, rows = clinical_table(metrics, class_names)
    if not rows:
        return []
    rows = [header, *rows]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = [f"validation, per class (operating point: the highest threshold reaching sensitivity "
             f"{metrics['val_target_sensitivity']:.0%}):"]
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
