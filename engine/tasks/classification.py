"""Classification: one score per class; the network's Output is a flat vector of K logits."""
from __future__ import annotations

from ..catalogue import Shape, format_shape
from .base import OutputProblem, Task, TaskMetrics
from .clinical import DEFAULT_TARGET_SENSITIVITY, ClinicalMetrics


class Classification(Task):
    name = "classification"
    title = "Classification"
    target_kind = "label"
    dataset_kinds = ("digits", "shapes", "mnist", "fashion-mnist", "cifar10")
    live_views = ("feature_maps", "confusion", "predictions")
    score_name = "val_accuracy"

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        if len(output) == 1:
            return None
        return OutputProblem(f"Output needs a flat input but {source} gives {format_shape(output)}",
                             f"Insert a Flatten (or an AdaptiveAvgPool2d then Flatten) between {source} and the "
                             "Output, or choose the segmentation task for a per-pixel output.")

    def classes_of_output(self, output: Shape) -> int | None:
        return output[0] if len(output) == 1 else None

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0, class_weights=None):
        from torch import nn

        weight = None
        if class_weights is not None:
            import torch

            weight = torch.tensor(class_weights, dtype=torch.float32)
        return nn.CrossEntropyLoss(weight=weight, label_smoothing=label_smoothing)

    def correct_and_count(self, logits, targets):
        import torch

        return (logits.detach().argmax(1) == targets).sum(), torch.tensor(targets.shape[0], device=targets.device)

    def metrics(self, num_classes: int, device, target_sensitivity: float = DEFAULT_TARGET_SENSITIVITY) -> TaskMetrics:
        """Beside the confusion matrix every run counts: each class one against the rest, for when a miss
        costs more than a false alarm (sensitivity, specificity, ROC/PR AUC, calibration; engine.tasks.clinical)."""
        return ClinicalMetrics(num_classes, multiclass=True, target_sensitivity=target_sensitivity)

    def decode_source(self) -> str:
        return ("# The output holds one score (logit) per class: output.argmax(1) is the predicted class,\n"
                "# output.softmax(1) the probabilities.")


CLASSIFICATION = Classification()
