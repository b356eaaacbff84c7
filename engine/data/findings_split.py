"""From images and their findings in memory to a multi-label `DataSplit` (engine.tasks.multilabel).

Findings are (N, K) float 0/1, one column per finding; images are adapted and normalised with the
training images' statistics, as for classification.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .tensor_data import TensorData

FINDINGS = "findings"


def random_indices(count: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split (an image may show several findings: nothing single to stratify by)."""
    if count < 2:
        raise DatasetError(f"A multi-label set needs at least 2 images to split into training and validation; "
                           f"it has {count}.")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(int(seed)))
    held_out = min(count - 1, max(1, round(count * val_fraction)))
    return order[held_out:].sort().values, order[:held_out].sort().values


def build_findings_split(train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor], *,
                         input_shape: Sequence[int], finding_names: Sequence[str], source: str,
                         notes: Sequence[str] = (), suggested_augment: Augment | None = None) -> DataSplit:
    """``train``/``val``: (raw images (N, C, H, W) uint8 or float 0..1, findings (N, K))."""
    shape = check_input_shape(input_shape)
    parts = []
    for (images, findings), name in ((train, "training"), (val, "validation")):
        if images.shape[0] == 0:
            raise DatasetError(f"The {name} split of {source} is empty.")
        parts.append((adapt_images(images, shape), findings.to(torch.float32)))
    (train_x, train_y), (val_x, val_y) = parts
    mean, std = channel_stats(train_x)
    prevalence = train_y.mean(0).tolist()
    rare = [f"{name} {share:.1%}" for name, share in zip(finding_names, prevalence) if share < 0.05]
    notes = list(notes) + ([f"rare findings in the training images (consider class weights 'auto'): "
                            f"{', '.join(rare[:8])}{', ...' if len(rare) > 8 else ''}"] if rare else [])
    return DataSplit(train=TensorData(normalise_(train_x, mean, std), train_y),
                     val=TensorData(normalise_(val_x, mean, std), val_y), class_names=list(finding_names),
                     input_shape=shape, mean=mean, std=std, source=source, notes=notes,
                     suggested_augment=suggested_augment or Augment(flip=False), target=FINDINGS)


def findings_info(name: str, finding_names: Sequence[str], channels: int, native_size, count: int,
                  description: str, positives: Sequence[int] | None = None) -> DatasetInfo:
    return DatasetInfo(name=name, class_names=tuple(finding_names), channels=channels, native_size=native_size,
                       num_samples=count, description=description,
                       class_counts=tuple(positives) if positives is not None else None, target=FINDINGS)
