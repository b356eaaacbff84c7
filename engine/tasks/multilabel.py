"""Multi-label classification: several findings per image (a chest X-ray may show both effusion and
cardiomegaly), each its own yes/no question.

Why a task of its own rather than an option of classification: every part the seam asks for differs —
the target is a vector of 0/1 per finding, not one class index; the loss is sigmoid + binary
cross-entropy, not softmax cross-entropy; there is no confusion matrix; the decoded prediction is the
set of findings over their thresholds, not an argmax; and the best epoch is picked by the mean ROC AUC.
An option would put a branch in each of those methods.

Rare findings: ``class_weights`` gives BCE's ``pos_weight`` per finding (how much a missed positive
counts against a false alarm), or ``auto`` for negatives/positives of the training images.
"""
from __future__ import annotations

from ..catalogue import Shape, format_shape
from .base import OutputProblem, Task, TaskMetrics
from .clinical import DEFAULT_TARGET_SENSITIVITY, ClinicalMetrics

DECISION_THRESHOLD = 0.5
MAX_AUTO_WEIGHT = 100.0
"""``auto`` weights stop here: a finding seen once in 10,000 images would otherwise weigh 10,000."""


def auto_positive_weights(targets) -> list[float]:
    """negatives / positives per finding of (N, K) 0/1 targets, 1 for a finding never (or always) present."""
    positives = targets.float().sum(0)
    negatives = targets.shape[0] - positives
    weights = (negatives / positives.clamp_min(1)).clamp(1.0 / MAX_AUTO_WEIGHT, MAX_AUTO_WEIGHT)
    return [float(w) if 0 < p < targets.shape[0] else 1.0 for w, p in zip(weights.tolist(), positives.tolist())]


class MultiLabel(Task):
    name = "multilabel"
    title = "Multi-label (findings)"
    target_kind = "findings"
    dataset_kinds = ("medmnist:chestmnist",)
    live_views = ("feature_maps", "clinical")
    score_name = "val_mean_auc"
    has_confusion = False

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        if len(output) == 1:
            return None
        return OutputProblem(f"a multi-label Output needs one score per finding but {source} gives "
                             f"{format_shape(output)}",
                             f"Insert a Flatten (or an AdaptiveAvgPool2d then Flatten) and a Dense with one unit per "
                             f"finding between {source} and the Output.")

    def classes_of_output(self, output: Shape) -> int | None:
        return output[0] if len(output) == 1 else None

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0, class_weights=None):
        import torch
        from torch import nn

        from .losses import SmoothedBCEWithLogits

        weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32)
        if label_smoothing:
            return SmoothedBCEWithLogits(label_smoothing, pos_weight=weight)
        return nn.BCEWithLogitsLoss(pos_weight=weight)

    def correct_and_count(self, logits, targets):
        """Per-finding decisions at 0.5: right ones over all (image, finding) pairs."""
        import torch

        right = ((logits.detach() > 0) == (targets > 0.5)).sum()
        return right, torch.tensor(targets.numel(), device=targets.device)

    def metrics(self, num_classes: int, device, target_sensitivity: float = DEFAULT_TARGET_SENSITIVITY) -> TaskMetrics:
        return ClinicalMetrics(num_classes, multiclass=False, target_sensitivity=target_sensitivity)

    def decode(self, logits):
        return logits.sigmoid() >= DECISION_THRESHOLD

    def decode_source(self) -> str:
        return ("# The output holds one score (logit) per finding: output.sigmoid() is each finding's probability,\n"
                "# independent of the others; output.sigmoid() >= threshold (0.5, or the operating point chosen on\n"
                "# validation) says which findings the image shows.")


MULTILABEL = MultiLabel()
