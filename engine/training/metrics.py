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
        self.sizes: list[int] = []
        """Images in each batch recorded so far (known on the host without a sync)."""

    @property
    def batches(self) -> int:
        return len(self.sizes)

    def record(self, loss: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor) -> None:
        index = self.batches
        if index == self.losses.shape[0]:  # more batches than planned: grow (rare)
            self.losses = torch.cat([self.losses, torch.zeros_like(self.losses)])
            self.correct = torch.cat([self.correct, torch.zeros_like(self.correct)])
        self.losses[index] = loss.detach()
        self.correct[index] = (logits.detach().argmax(1) == labels).sum()
        self.sizes.append(labels.shape[0])

    def totals(self) -> torch.Tensor:
        """``[loss × samples, correct, samples]`` so far, as float64 on the host (this syncs)."""
        done = self.batches
        losses = self.losses[:done].to("cpu", torch.float64)
        correct = self.correct[:done].to("cpu", torch.float64)
        sizes = torch.tensor(self.sizes, dtype=torch.float64)
        return torch.stack([(losses * sizes).sum(), correct.sum(), sizes.sum()])

    def first_nonfinite(self) -> int | None:
        """The index of the first batch whose loss was NaN or infinite, if any."""
        bad = (~torch.isfinite(self.losses[: self.batches])).nonzero()
        return int(bad[0, 0]) if bad.numel() else None


def mean_and_accuracy(totals: torch.Tensor) -> tuple[float, float]:
    loss_sum, correct, samples = (float(value) for value in totals)
    if samples == 0:
        return float("nan"), float("nan")
    return loss_sum / samples, correct / samples


def confusion_counts(labels: torch.Tensor, predictions: torch.Tensor, num_classes: int) -> torch.Tensor:
    """A (classes, classes) int64 matrix: row = true class, column = predicted class."""
    flat = labels.to(torch.int64) * num_classes + predictions.to(torch.int64)
    return torch.bincount(flat, minlength=num_classes * num_classes).view(num_classes, num_classes)


def per_class_accuracy(confusion: torch.Tensor) -> list[float | None]:
    """Recall of each class (None for a class with no validation images)."""
    totals = confusion.sum(dim=1).tolist()
    hits = confusion.diagonal().tolist()
    return [hit / total if total else None for hit, total in zip(hits, totals)]
