"""From images and their boxes in memory to a detection `DataSplit`.

Images are adapted to the Input (size, channels) and normalised with the training images' statistics,
as for classification; boxes are fractions of the image (``engine.tasks.detection``), so resizing
leaves them as they are. A split's labels are the padded box rows (N, M, 5).
"""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_
from .augment import Augment
from .datasplit import DataSplit
from .errors import DatasetError
from .tensor_data import TensorData


def split_boxed(images: torch.Tensor, boxes: torch.Tensor, val_fraction: float,
                seed: int) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
    """A seeded random split (an image holds several classes: nothing to stratify by), ≥ 1 image each side."""
    count = images.shape[0]
    if count < 2:
        raise DatasetError(f"A detection set needs at least 2 images to split into training and validation; "
                           f"it has {count}.")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(int(seed)))
    held_out = min(count - 1, max(1, round(count * val_fraction)))
    train, val = order[held_out:].sort().values, order[:held_out].sort().values
    return (images[train], boxes[train]), (images[val], boxes[val])


def build_box_split(train: tuple[torch.Tensor, torch.Tensor], val: tuple[torch.Tensor, torch.Tensor], *,
                    input_shape: Sequence[int], class_names: Sequence[str], source: str,
                    notes: Sequence[str] = (), suggested_augment: Augment | None = None) -> DataSplit:
    """Adapt and normalise the images of (images, boxes) pairs and wrap them with their boxes."""
    shape = check_input_shape(input_shape)
    parts = []
    for (images, boxes), name in ((train, "training"), (val, "validation")):
        if images.shape[0] == 0:
            raise DatasetError(f"The {name} split of {source} is empty.")
        parts.append((adapt_images(images, shape), boxes.to(torch.float32)))
    (train_x, train_y), (val_x, val_y) = parts
    mean, std = channel_stats(train_x)
    return DataSplit(train=TensorData(normalise_(train_x, mean, std), train_y),
                     val=TensorData(normalise_(val_x, mean, std), val_y), class_names=list(class_names),
                     input_shape=shape, mean=mean, std=std, source=source, notes=list(notes),
                     suggested_augment=suggested_augment or Augment(flip=True), target="boxes")
