"""Detection: boxes with a class, from a CenterNet-style head drawn on the canvas.

The head contract (the Output's input): ``(K + 4) × H/s × W/s`` maps for K classes and an
Input of H×W, at one integer stride ``s`` (e.g. 4). Channels, in this order:

- ``0 .. K-1``: one heat map per class (logits; sigmoid → the chance an object's centre is in the cell),
- ``K, K+1``: the box's width and height, in output cells,
- ``K+2, K+3``: the centre's offset inside its cell (x, y), 0..1.

Targets are boxes, padded to one tensor per batch so the trainer moves them like labels:
``(N, M, 5)`` float rows ``[class, x0, y0, x1, y1]`` with coordinates as fractions of the image's
width and height (0..1, so resizing an image leaves its boxes unchanged) and ``class = -1`` for the
padding rows (``PADDING``). The torch parts (target encoding, loss, decoding, mAP) live in
``detection_ops`` and use torchvision.ops and torchmetrics; none is hand-written here.
"""
from __future__ import annotations

from ..catalogue import Shape, format_shape
from .base import OutputProblem, Task, TaskMetrics

BOX_CHANNELS = 4
"""Channels after the class heat maps: width, height, offset x, offset y."""
HEAT_PRIOR_BIAS = -2.19
"""log(0.1 / 0.9): the heat maps' starting logit (CenterNet's focal-loss prior)."""
PADDING = -1
"""The class of a padding row in a box target."""
LOSS_PART_KEYS = tuple(f"{split}_{part}" for split in ("train", "val") for part in ("loss_heatmap", "loss_box"))
"""The loss's parts each epoch's metrics hold (``DetectionLoss.take_part_means``; they sum to the loss)."""


def head_stride(output: Shape, input_shape: Shape | None) -> int | None:
    """The head's integer stride (input size / map size, the same along both sides), or None."""
    if input_shape is None or len(output) != 3:
        return None
    (_, height, width), (_, in_height, in_width) = output, input_shape
    if height < 1 or width < 1 or in_height % height or in_width % width or in_height // height != in_width // width:
        return None
    return in_height // height


class Detection(Task):
    name = "detection"
    title = "Detection"
    target_kind = "boxes"
    dataset_kinds = ("det-shapes",)
    live_views = ("feature_maps", "boxes", "heat_map")
    score_name = "val_map50"
    has_confusion = False

    def check_output(self, output: Shape, input_shape: Shape | None, source: str) -> OutputProblem | None:
        if len(output) != 3:
            return OutputProblem(
                f"a detection Output needs (classes + 4)×H×W head maps but {source} gives a flat vector of "
                f"{output[0]:,}", "Remove the Flatten and Dense layers: end the head in a 1×1 Conv2d with one "
                "channel per class plus 4 (box width, height, offset x, y).")
        if output[0] <= BOX_CHANNELS:
            return OutputProblem(
                f"the detection head gives {output[0]} channels; it needs one heat map per class plus 4 "
                "(box width, height, offset x, y)",
                f"Set the last Conv2d ({source}) to classes + 4 output channels (7 for 3 classes).")
        if input_shape is not None and head_stride(output, input_shape) is None:
            return OutputProblem(
                f"the head maps are {format_shape(output[1:])} but the input is {format_shape(input_shape[1:])}: "
                "the input size must be a whole multiple of the map size, the same along both sides",
                "Make the head's maps a fixed fraction of the input (e.g. 1/4: two stride-2 stages), or change the "
                "Input's size to a multiple of the maps'.")
        return None

    def classes_of_output(self, output: Shape) -> int | None:
        return output[0] - BOX_CHANNELS if len(output) == 3 and output[0] > BOX_CHANNELS else None

    def prepare_model(self, model) -> None:
        """CenterNet's prior: the heat-map biases of the last Conv2d start at −2.19 (sigmoid 0.1), so the first
        steps are not spent unlearning "an object everywhere" (p = 0.5 in every cell)."""
        import torch
        from torch import nn

        convs = [module for module in model.modules() if isinstance(module, nn.Conv2d)]
        head = convs[-1] if convs else None
        if head is not None and head.bias is not None and head.out_channels > BOX_CHANNELS:
            with torch.no_grad():
                head.bias[:head.out_channels - BOX_CHANNELS].fill_(HEAT_PRIOR_BIAS)

    def output_width(self, num_classes: int) -> int:
        return num_classes + BOX_CHANNELS

    def loss(self, *, num_classes: int, label_smoothing: float = 0.0, class_weights=None):
        from .detection_ops import DetectionLoss

        return DetectionLoss(num_classes)

    def correct_and_count(self, logits, targets):
        """Objects whose centre cell the heat map of their class finds (sigmoid ≥ 0.5), and all objects:
        the "accuracy" of a detection batch is centre recall."""
        from .detection_ops import centre_hits

        return centre_hits(logits.detach(), targets)

    def metrics(self, num_classes: int, device) -> TaskMetrics:
        from .detection_ops import DetectionMetrics

        return DetectionMetrics(num_classes, device)

    def decode(self, logits, score_threshold: float = 0.3):
        """Head maps (N, K+4, h, w) → one dict per image: ``boxes`` (B, 4) x0 y0 x1 y1 as fractions of the
        image, ``scores`` (B,), ``labels`` (B,), after non-maximum suppression."""
        from .detection_ops import decode_maps

        return decode_maps(logits, score_threshold=score_threshold)

    def decode_source(self) -> str:
        """The head's layout and ``decode_maps`` itself, copied from the engine (not rewritten), so the exported
        network gives the same boxes outside ConvCanvas."""
        import inspect

        from . import detection_ops

        return ("# The output holds CenterNet-style head maps (N×(classes+4)×h×w): per-class heat-map logits, then\n"
                "# box width and height in cells, then the centre's offset in its cell (x, y).\n"
                "# decode_maps(output) below turns them into boxes (peaks → boxes → NMS), the very function\n"
                "# ConvCanvas uses: boxes x0, y0, x1, y1 as fractions of the image (times its width and height\n"
                "# for pixels), scores and class indices (CLASS_NAMES), per image.\n"
                "import torch.nn.functional as F\n"
                "from torchvision.ops import batched_nms\n\n"
                f"BOX_CHANNELS = {BOX_CHANNELS}\n\n\n"
                + inspect.getsource(detection_ops.decode_maps))


DETECTION = Detection()


def metric_names() -> tuple[str, ...]:
    """The scalar validation metrics detection adds to the history and the curves."""
    return ("val_map50", "val_map")


__all__ = ["BOX_CHANNELS", "DETECTION", "LOSS_PART_KEYS", "PADDING", "Detection", "head_stride", "metric_names"]
