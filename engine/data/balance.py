"""Class balance: counts per class and split, the warning for a class far smaller than the largest, and
the two remedies the Data view offers (weighting the loss, resampling) as the trainer applies them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: a class with fewer samples than this share of the largest class is flagged
MINORITY_SHARE = 0.10


@dataclass(frozen=True)
class ClassCounts:
    class_names: tuple[str, ...]
    train: tuple[int, ...]
    val: tuple[int, ...]

    def minorities(self) -> list[str]:
        """Classes whose training count is under MINORITY_SHARE of the largest class's."""
        largest = max(self.train, default=0)
        return [name for name, count in zip(self.class_names, self.train) if count < MINORITY_SHARE * largest]

    def warning(self) -> str:
        """One sentence for people, or "" when the classes are balanced enough."""
        small = self.minorities()
        if not small:
            return ""
        largest = max(self.train)
        detail = ", ".join(f"{name} ({self.train[self.class_names.index(name)]:,})" for name in small[:4])
        more = f" and {len(small) - 4} more" if len(small) > 4 else ""
        return (f"{detail}{more}: under {MINORITY_SHARE:.0%} of the largest class ({largest:,} training images). "
                "The network may learn to ignore them: weight the loss or resample.")


def count_classes(labels: np.ndarray, split: np.ndarray, class_names: Sequence[str]) -> ClassCounts:
    """Per-class counts of the training (split 0) and validation (split 1) samples; labels < 0 are skipped."""
    k = len(class_names)
    labels, split = np.asarray(labels), np.asarray(split)
    known = labels >= 0
    train = np.bincount(labels[known & (split == 0)], minlength=k)[:k]
    val = np.bincount(labels[known & (split == 1)], minlength=k)[:k]
    return ClassCounts(tuple(class_names), tuple(int(c) for c in train), tuple(int(c) for c in val))


def inverse_frequency_weights(counts: Sequence[int]) -> list[float]:
    """Loss weights n / (k · count) (scikit-learn's "balanced"): a class with half the images weighs twice
    as much, and the weights average 1 over the samples. A class without samples gets weight 1."""
    counts = np.asarray(counts, dtype=np.float64)
    total, k = counts.sum(), len(counts)
    return [float(total / (k * c)) if c > 0 else 1.0 for c in counts]


def balanced_order(labels, generator) -> "torch.Tensor":  # noqa: F821 - torch is imported lazily
    """One epoch's sample order drawn with replacement so every class is about equally frequent (the
    epoch keeps its length); random numbers from ``generator``, like the shuffled order it replaces."""
    import torch

    labels = torch.as_tensor(labels, dtype=torch.int64)
    counts = torch.bincount(labels).to(torch.float64)
    weights = (1.0 / counts.clamp(min=1))[labels]
    return torch.multinomial(weights, labels.shape[0], replacement=True, generator=generator)


class EpochOrder:
    """A sampler whose order is set anew each epoch: one object for the whole run, so a streamed split
    keeps its DataLoader (and its workers) while the resampled order changes."""

    def __init__(self) -> None:
        self.order: list[int] = []

    def __iter__(self):
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)
