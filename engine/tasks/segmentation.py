"""Segmentation: one class per pixel; the Output is K×H×W logits at the Input's H×W.

Targets are masks (N, H, W) of class indices; pixels marked ``IGNORE_INDEX``
(unlabelled, e.g. VOC's object borders) count in neither the loss nor the
metrics. Pixel accuracy and IoU come from torchmetrics, not hand-written.
"""
from __future__ import annotations

from typing import Any

from ..catalogue import Shape, format_shape
from .base import OutputProblem, Task, TaskMetrics, class_indices

IGNORE_INDEX = 255
"""The mask value of unlabelled pixels (VOC's convention)."""

# Distinct class colours for masks, in PNGs and in the app (class 0, the background, black).
PALETTE = [(0, 0, 0), (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
           (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128),
           (220, 190, 255), (170, 110, 40), (255, 250, 200), (128, 0, 0), (170, 255, 195), (128, 128, 0),
           (255, 215, 180), (0, 0, 128), (128, 128, 128)]


class SegmentationMetrics(TaskMetrics):
    """Pixel accuracy, per-class IoU and mean IoU over the validation pixels (torchmetrics)."""

    def __init__(self, num_classes: int, device) -> None:
        from torchmetrics.classification import MulticlassAccuracy, MulticlassJaccardIndex

        self.num_classes = num_classes
        self.accuracy = MulticlassAccuracy(num_classes, average="micro", ignore_index=IGNORE_INDEX,
                                           multidim_average="global").to(device)
        self.iou = MulticlassJaccardIndex(num_classes, average="none", ignore_index=IGNORE_INDEX).to(device)

    def update(self, logits, targets) -> None:
        predictions = class_indices(logits)
        self.accuracy.update(predictions, targets)
        self.iou.update(predictions, targets)

    def compute(self) -> dict[str, Any]:
        per_class = [float(value) for value in self.iou.compute().cpu()]
        return {"val_pixel_accuracy": float(self.accuracy.compute()), "val_iou": per_class,
                "val_miou": sum(per_class) / len(per_class) if per_class else float("nan")}


class Segmentation(Task):
    name = "segmentation"
    title = "Segmentation"
    target_kind = "mask"
    dataset_kinds = ("seg-shapes", "voc", "pets")
    live_views = ("feature_maps", "mask_overlay", "class_iou")
    score_name = "val_miou"

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        if len(output) != 3:
            return OutputProblem(
                f"a segmentation Output needs a classes×height×width mask but {source} gives a flat vector "
                f"of {output[0]:,}", "Remove the Flatten and Dense layers: end in a 1×1 Conv2d with one "
                "channel per class at the Input's size.")
        if input_shape is not None and output[1:] != tuple(input_shape[1:]):
            grow = output[1] < input_shape[1] or output[2] < input_shape[2]
            return OutputProblem(
                f"the mask is {format_shape(output)} but the input is {format_shape(input_shape[1:])}",
                "add an upsampling stage (Upsample or ConvTranspose2d) before the Output" if grow else
                "downsample the maps (pooling or stride 2) before the Output, or remove an upsampling stage")
        return None

    def classes_of_output(self, output: Shape) -> int | None:
        return output[0] if len(output) == 3 else None

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0, class_weights=None, dice: bool = False):
        import torch
        from torch import nn

        weight = None if class_weights is None else torch.tensor(class_weights, dtype=torch.float32)
        cross_entropy = nn.CrossEntropyLoss(weight=weight, ignore_index=IGNORE_INDEX, label_smoothing=label_smoothing)
        if not dice:
            return cross_entropy
        from .losses import DiceLoss

        return DiceLoss(num_classes, IGNORE_INDEX, cross_entropy)

    def correct_and_count(self, logits, targets):
        valid = targets != IGNORE_INDEX
        return ((class_indices(logits.detach()) == targets) & valid).sum(), valid.sum()

    def metrics(self, num_classes: int, device) -> TaskMetrics:
        return SegmentationMetrics(num_classes, device)

    def decode_source(self) -> str:
        return ("# The output holds one score per class for every pixel (N×classes×H×W):\n"
                "# mask = output.argmax(1) gives each pixel's class (N×H×W), at the input's size.")


SEGMENTATION = Segmentation()
