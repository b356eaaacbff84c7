"""Loss, accuracy and confusion counts, accumulated on the training device.

The hot loop never calls ``.item()``: each batch's mean loss and number of
correct predictions are written into preallocated device tensors, and the
host reads them only when a report is due (a few times a second) or at the
end of the epoch. Keeping every batch's loss (not just a running sum) also
tells exactly which batch first went NaN.
"""
from __future__ import annotations

import torch


class EpochMeter:
    def __init__(self, capacity: int, device: torch.device) -> None:
        capacity = max(1, capacity)
        self.losses = torch.zeros(capacity, device=device)
        self.correct = torch.zeros(capacity, dtype=torch.int64, device=device)
        # What accuracy divides by: images for classification, labelled pixels for segmentation.
        self.counted = torch.zeros(capacity, dtype=torch.int64, device=device)
        self.sizes: list[int] = []
        """Images in each batch recorded so far (known on the host without a sync)."""

    @property
    def batches(self) -> int:
        return len(self.sizes)

    def record(self, loss: torch.Tensor, correct_and_count: tuple[torch.Tensor, torch.Tensor], samples: int) -> None:
        """One batch: its mean loss, the task's (correct, counted) pair (engine.tasks) and its images."""
        index = self.batches
        if index == self.losses.shape[0]:  # more batches than planned: grow (rare)
            self.losses = torch.cat([self.losses, torch.zeros_like(self.losses)])
            self.correct = torch.cat([self.correct, torch.zeros_like(self.correct)])
            self.counted = torch.cat([self.counted, torch.zeros_like(self.counted)])
        self.losses[index] = loss.detach()
        self.correct[index], self.counted[index] = correct_and_count
        self.sizes.append(samples)

    def totals(self) -> torch.Tensor:
        """``[loss × samples, correct, samples, counted]`` so far, as float64 on the host (this syncs)."""
        done = self.batches
        losses = self.losses[:done].to("cpu", torch.float64)
        correct = self.correct[:done].to("cpu", torch.float64)
        counted = self.counted[:done].to("cpu", torch.float64)
        sizes = torch.tensor(self.sizes, dtype=torch.float64)
        return torch.stack([(losses * sizes).sum(), correct.sum(), sizes.sum(), counted.sum()])

    def first_nonfinite(self) -> int | None:
        """The index of the first batch whose loss was NaN or infinite, if any."""
        bad = (~torch.isfinite(self.losses[: self.batches])).nonzero()
        return int(bad[0, 0]) if bad.numel() else None


def mean_and_accuracy(totals: torch.Tensor) -> tuple[float, float]:
    """Mean loss per image and accuracy (per image, or per labelled pixel) from ``EpochMeter.totals``."""
    loss_sum, correct, samples, counted = (float(value) for value in totals)
    if samples == 0:
        return float("nan"), float("nan")
    return loss_sum / samples, correct / counted if counted else float("nan")


def confusion_counts(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """A (classes, classes) int64 matrix: row = true class, column = predicted class. Labels and
    predictions of any shape (images or pixels); labels outside 0..classes-1 (unlabelled pixels) are left out."""
    labels, predictions = labels.reshape(-1).to(torch.int64), predictions.reshape(-1).to(torch.int64)
    known = (labels >= 0) & (labels < num_classes)
    flat = labels[known] * num_classes + predictions[known]
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


def per_class_accuracy(confusion: torch.Tensor) -> list[float | None]:
    """Recall of each class (None for a class with no validation images)."""
    totals = confusion.sum(dim=1).tolist()
    hits = confusion.diagonal().tolist()
    return [hit / total if total else None for hit, total in zip(hits, totals)]
