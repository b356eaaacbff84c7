"""How well one image's predicted boxes match its true ones: which true boxes were found, and false alarms.

A true box is found when a predicted box of its class overlaps it with IoU ≥ 0.5 (the overlap
``torchvision.ops.box_iou`` computes, mAP@0.5's criterion); a predicted box that overlaps no true box
of its class that well is a false alarm. It orders the Predictions gallery and gives the live view's
one-line summary; the run's mAP comes from torchmetrics, not from here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

IOU_FOUND = 0.5


@dataclass(frozen=True)
class BoxMatch:
    found: int
    true: int
    false_alarms: int

    @property
    def f1(self) -> float:
        """2·found / (2·found + missed + false alarms): 1 when every box is found and nothing else,
        and 1 for an image without boxes where none is predicted."""
        missed = self.true - self.found
        wrong = 2 * self.found + missed + self.false_alarms
        return 1.0 if wrong == 0 else 2 * self.found / wrong

    def summary(self) -> str:
        alarms = f", {self.false_alarms} false alarm{'s' if self.false_alarms != 1 else ''}"
        return f"{self.found} of {self.true} true box{'es' if self.true != 1 else ''} found{alarms}"


def match_boxes(predicted: np.ndarray, predicted_labels: np.ndarray, true: np.ndarray,
                true_labels: np.ndarray) -> BoxMatch:
    """Boxes (B, 4) x0 y0 x1 y1 (any one unit for both) and their class indices."""
    import torch
    from torchvision.ops import box_iou

    if len(true) == 0 or len(predicted) == 0:
        return BoxMatch(0, len(true), len(predicted))
    overlap = box_iou(torch.as_tensor(predicted, dtype=torch.float32), torch.as_tensor(true, dtype=torch.float32))
    same = torch.as_tensor(predicted_labels).view(-1, 1) == torch.as_tensor(true_labels).view(1, -1)
    hits = (overlap >= IOU_FOUND) & same
    return BoxMatch(int(hits.any(0).sum()), len(true), int((~hits.any(1)).sum()))
