"""Losses needing torch (imported only when a run builds its criterion)."""
from __future__ import annotations

import torch
from torch import nn


class DiceLoss(nn.Module):
    """Soft Dice loss, 1 − mean over classes of 2|P∩T| / (|P| + |T|), smoothed by 1, plus ``cross_entropy``
    when given (Dice alone learns slowly at the start). Pixels equal to ``ignore_index`` count nowhere."""

    def __init__(self, num_classes: int, ignore_index: int, cross_entropy: nn.Module | None = None) -> None:
        super().__init__()
        self.num_classes, self.ignore_index = num_classes, ignore_index
        self.cross_entropy = cross_entropy

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        valid = targets != self.ignore_index
        safe = torch.where(valid, targets, torch.zeros_like(targets))
        keep = valid.unsqueeze(1)
        probabilities = logits.float().softmax(1) * keep
        one_hot = nn.functional.one_hot(safe, self.num_classes).permute(0, 3, 1, 2).float() * keep
        overlap = (probabilities * one_hot).sum((0, 2, 3))
        total = probabilities.sum((0, 2, 3)) + one_hot.sum((0, 2, 3))
        dice = 1 - ((2 * overlap + 1) / (total + 1)).mean()
        return dice if self.cross_entropy is None else dice + self.cross_entropy(logits, targets)


class SmoothedBCEWithLogits(nn.BCEWithLogitsLoss):
    """Multi-label BCE against targets pulled ``smoothing/2`` towards 0.5: label smoothing for yes/no
    questions (each finding's 1 becomes 1 - s/2, its 0 becomes s/2)."""

    def __init__(self, smoothing: float, pos_weight: torch.Tensor | None = None) -> None:
        super().__init__(pos_weight=pos_weight)
        self.smoothing = smoothing

    def forward(self, logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return super().forward(logits, targets * (1 - self.smoothing) + self.smoothing / 2)
