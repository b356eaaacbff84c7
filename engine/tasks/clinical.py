"""Metrics for when a miss costs more than a false alarm: per class (finding) sensitivity, specificity,
ROC AUC and PR AUC, the operating threshold chosen on validation for a target sensitivity, and
calibration (a reliability diagram and the expected calibration error).

All from torchmetrics, except the reliability diagram's bins, which torchmetrics computes inside its
calibration error without returning them (a test checks that the bins give torchmetrics' ECE).
The accumulator keeps the validation probabilities (N × K floats: small) and computes at the end.
"""
from __future__ import annotations

from typing import Any

from .base import TaskMetrics

DEFAULT_TARGET_SENSITIVITY = 0.9
RELIABILITY_BINS = 10


def reliability_bins(confidences, correct, bins: int = RELIABILITY_BINS) -> dict[str, Any]:
    """The reliability diagram: per equal-width confidence bin, the mean confidence, the observed
    frequency of being right, and the count; and the ECE (count-weighted gap), as torchmetrics bins it
    (a confidence of exactly 0 falls in the first bin, bin edges belong to the bin below)."""
    import torch

    confidences = confidences.flatten().double()
    correct = correct.flatten().double()
    index = (torch.ceil(confidences * bins).long() - 1).clamp(0, bins - 1)
    counts = torch.bincount(index, minlength=bins).double()
    mean_confidence = torch.bincount(index, confidences, minlength=bins) / counts.clamp_min(1)
    frequency = torch.bincount(index, correct, minlength=bins) / counts.clamp_min(1)
    ece = float(((mean_confidence - frequency).abs() * counts).sum() / counts.sum().clamp_min(1))
    return {"confidence": mean_confidence.tolist(), "frequency": frequency.tolist(),
            "count": [int(c) for c in counts.tolist()], "ece": ece}


class ClinicalMetrics(TaskMetrics):
    """Accumulates (probabilities (N, K), targets (N, K) of 0/1), one column per class or finding.

    ``multiclass``: the probabilities are a softmax (one class per image): each class is scored one
    against the rest, and calibration is that of the top class (torchmetrics' multiclass ECE).
    Otherwise each finding is its own yes/no question and calibration pools every (image, finding).
    """

    def __init__(self, num_classes: int, *, multiclass: bool, target_sensitivity: float = DEFAULT_TARGET_SENSITIVITY):
        self.num_classes, self.multiclass, self.target_sensitivity = num_classes, multiclass, target_sensitivity
        self.probabilities: list = []
        self.targets: list = []

    def update_probabilities(self, probabilities, targets) -> None:
        self.probabilities.append(probabilities.detach().float().cpu())
        self.targets.append(targets.detach().cpu().long())

    def update(self, logits, targets) -> None:
        import torch

        if self.multiclass:
            one_hot = torch.nn.functional.one_hot(targets.long(), self.num_classes)
            self.update_probabilities(logits.float().softmax(1), one_hot)
        else:
            self.update_probabilities(logits.float().sigmoid(), (targets > 0.5).long())

    def compute(self) -> dict[str, Any]:
        if not self.probabilities:
            return {}
        import torch

        probabilities, targets = torch.cat(self.probabilities), torch.cat(self.targets)
        return clinical_metrics(probabilities, targets, multiclass=self.multiclass,
                                target_sensitivity=self.target_sensitivity)


def clinical_metrics(probabilities, targets, *, multiclass: bool,
                     target_sensitivity: float = DEFAULT_TARGET_SENSITIVITY) -> dict[str, Any]:
    """Per-class lists (class order) and the pooled calibration; see the module's docstring.

    A class without positives (or without negatives) in the validation images has no AUC: ``None``.
    """
    import torch
    from torchmetrics.functional.classification import (
        binary_calibration_error, multiclass_calibration_error, multilabel_auroc, multilabel_average_precision,
        multilabel_specificity_at_sensitivity)

    targets = targets.long()
    count = probabilities.shape[1]
    positives = targets.sum(0)
    negatives = targets.shape[0] - positives
    defined = (positives > 0) & (negatives > 0)
    auc = multilabel_auroc(probabilities, targets, num_labels=count, average=None)
    ap = multilabel_average_precision(probabilities, targets, num_labels=count, average=None)
    _, thresholds = multilabel_specificity_at_sensitivity(probabilities, targets, num_labels=count,
                                                          min_sensitivity=target_sensitivity)
    thresholds = torch.where(torch.isfinite(thresholds), thresholds, torch.ones_like(thresholds)).clamp(0, 1)
    at_half = _rates(probabilities, targets, torch.full((count,), 0.5))
    at_point = _rates(probabilities, targets, thresholds)
    if multiclass:
        predicted = probabilities.argmax(1)
        labels = targets.argmax(1)
        confidences, correct = probabilities.max(1).values, (predicted == labels)
        ece = float(multiclass_calibration_error(probabilities, labels, num_classes=count, n_bins=RELIABILITY_BINS))
    else:
        confidences, correct = probabilities, targets
        ece = float(binary_calibration_error(probabilities.flatten(), targets.flatten(), n_bins=RELIABILITY_BINS))
    reliability = reliability_bins(confidences, correct)

    def per_class(values) -> list[float | None]:
        return [float(v) if ok else None for v, ok in zip(values.tolist(), defined.tolist())]

    aucs = [v for v in per_class(auc) if v is not None]
    return {
        "val_auc": per_class(auc),
        "val_ap": per_class(ap),
        "val_mean_auc": sum(aucs) / len(aucs) if aucs else None,
        "val_sensitivity": at_half[0],
        "val_specificity": at_half[1],
        "val_target_sensitivity": float(target_sensitivity),
        "val_threshold": [float(t) for t in thresholds.tolist()],
        "val_sensitivity_at_threshold": at_point[0],
        "val_specificity_at_threshold": at_point[1],
        "val_positives": [int(p) for p in positives.tolist()],
        "val_ece": ece,
        "val_reliability": {key: reliability[key] for key in ("confidence", "frequency", "count")},
    }


def _rates(probabilities, targets, thresholds) -> tuple[list[float | None], list[float | None]]:
    """Sensitivity (true-positive rate) and specificity (true-negative rate) per class at its threshold;
    None where the class has no positives (sensitivity) or no negatives (specificity)."""
    predicted = probabilities >= thresholds.view(1, -1)
    positive = targets.bool()
    true_positive = (predicted & positive).sum(0)
    true_negative = (~predicted & ~positive).sum(0)
    positives, negatives = positive.sum(0), (~positive).sum(0)
    sensitivity = [float(tp / p) if p else None for tp, p in zip(true_positive.tolist(), positives.tolist())]
    specificity = [float(tn / n) if n else None for tn, n in zip(true_negative.tolist(), negatives.tolist())]
    return sensitivity, specificity


CLINICAL_METRIC_NAMES = ("val_auc", "val_ap", "val_mean_auc", "val_sensitivity", "val_specificity",
                         "val_target_sensitivity", "val_threshold", "val_sensitivity_at_threshold",
                         "val_specificity_at_threshold", "val_positives", "val_ece", "val_reliability")


def _cell(value: float | None, percent: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:.1%}" if percent else f"{value:.3f}"


def clinical_table(metrics: dict[str, Any], class_names) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """(header, one row of text per class) of the per-class metrics: what the CLI prints and the window's
    Clinical view shows. Empty rows when ``metrics`` has none (segmentation, no validation yet)."""
    target = metrics.get("val_target_sensitivity") or DEFAULT_TARGET_SENSITIVITY
    header = ("class", "positives", "ROC AUC", "PR AUC", "sens@0.5", "spec@0.5", "threshold",
              f"sens@{target:.0%}", "spec")
    if not isinstance(metrics.get("val_auc"), (list, tuple)) or "val_positives" not in metrics:
        return header, []  # none, or an embedding's verification AUC (one number, the same name)
    rows = [(name, str(metrics["val_positives"][i]), _cell(metrics["val_auc"][i]), _cell(metrics["val_ap"][i]),
             _cell(metrics["val_sensitivity"][i], True), _cell(metrics["val_specificity"][i], True),
             f"{metrics['val_threshold'][i]:.3f}", _cell(metrics["val_sensitivity_at_threshold"][i], True),
             _cell(metrics["val_specificity_at_threshold"][i], True)) for i, name in enumerate(class_names)]
    return header, rows
