"""Deterministic, stratified train/validation split."""

from __future__ import annotations

import torch

from .errors import DatasetError

MAX_VAL_FRACTION = 0.9


def check_val_fraction(val_fraction: float) -> float:
    """Validation fraction must lie in (0, 0.9]."""
    try:
        fraction = float(val_fraction)
    except (TypeError, ValueError):
        fraction = float("nan")
    if not 0.0 < fraction <= MAX_VAL_FRACTION:
        raise DatasetError(
            f"The validation fraction {val_fraction!r} is out of range: it must be more than 0 "
            f"and at most {MAX_VAL_FRACTION} (0.2 holds out a fifth of the images)."
        )
    return fraction


def stratified_split(labels: torch.Tensor, val_fraction: float, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (train, val), each class split in the same proportion.

    Every class with at least 2 samples gives round(n * val_fraction) of them
    to validation, but at least 1 and leaving at least 1 for training; a
    class with a single sample stays in training. Deterministic per `seed`.
    Both index tensors are sorted.
    """
    fraction = check_val_fraction(val_fraction)
    labels = torch.as_tensor(labels, dtype=torch.int64)
    generator = torch.Generator().manual_seed(int(seed))
    train_parts: list[torch.Tensor] = []
    val_parts: list[torch.Tensor] = []
    for cls in torch.unique(labels).tolist():
        members = torch.nonzero(labels == cls).flatten()
        members = members[torch.randperm(members.shape[0], generator=generator)]
        n = members.shape[0]
        n_val = 0 if n < 2 else min(max(round(n * fraction), 1), n - 1)
        val_parts.append(members[:n_val])
        train_parts.append(members[n_val:])
    train = torch.cat(train_parts).sort().values if train_parts else labels.new_empty(0)
    val = torch.cat(val_parts).sort().values if val_parts else labels.new_empty(0)
    if val.numel() == 0:
        raise DatasetError(
            f"There are too few images ({labels.numel()}) to hold out a validation set: every class "
            "needs at least 2 images. Add images to the dataset."
        )
    return train, val
