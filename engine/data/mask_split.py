"""From images and their masks in memory to a segmentation `DataSplit`.

Images are adapted to the Input (size, channels) and normalised with the
training images' statistics, exactly as for classification; masks are
resized with nearest-neighbour sampling (a class index must never be
blended) and never normalised.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_
from .augment import Augment
from .datasplit import DataSplit
from .errors import DatasetError
from .tensor_data import TensorData


@dataclass
class MaskedImages:
    """Raw images (N, C, H, W), uint8 0..255 or float 0..1, and masks (N, H, W) of class indices."""

    images: torch.Tensor
    masks: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def subset(self, index: torch.Tensor) -> MaskedImages:
        return MaskedImages(self.images.index_select(0, index), self.masks.index_select(0, index))


def resize_masks(masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, H, W) class indices → (N, *size), nearest neighbour (no made-up in-between classes)."""
    if tuple(masks.shape[-2:]) == tuple(size):
        return masks.to(torch.int64)
    resized = F.interpolate(masks.unsqueeze(1).to(torch.float32), size=size, mode="nearest-exact")
    return resized.squeeze(1).to(torch.int64)


def random_split(data: MaskedImages, val_fraction: float, seed: int) -> tuple[MaskedImages, MaskedImages]:
    """A seeded random split (masks have no single class to stratify by); at least one image each side."""
    count = len(data)
    if count < 2:
        raise DatasetError(f"A segmentation set needs at least 2 images to split into training and validation; "
                           f"it has {count}.")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(int(seed)))
    held_out = min(count - 1, max(1, round(count * val_fraction)))
    return data.subset(order[held_out:].sort().values), data.subset(order[:held_out].sort().values)


def build_mask_split(train: MaskedImages, val: MaskedImages, *, input_shape: Sequence[int],
                     class_names: Sequence[str], source: str, notes: Sequence[str] = (),
                     suggested_augment: Augment | None = None) -> DataSplit:
    """Adapt, normalise (images only) and wrap; raises DatasetError for masks with unknown classes."""
    shape = check_input_shape(input_shape)
    parts = []
    for part, name in ((train, "training"), (val, "validation")):
        if len(part) == 0:
            raise DatasetError(f"The {name} split of {source} is empty.")
        masks = resize_masks(part.masks, shape[1:])
        known = (masks < len(class_names)) | (masks == 255)
        if bool((masks < 0).any()) or not bool(known.all()):
            bad = int(masks[~known].max()) if not bool(known.all()) else int(masks.min())
            raise DatasetError(f"The {name} masks of {source} hold class {bad}, but there are only "
                               f"{len(class_names)} classes (0..{len(class_names) - 1}; 255 = unlabelled).")
        parts.append((adapt_images(part.images, shape), masks))
    (train_x, train_y), (val_x, val_y) = parts
    mean, std = channel_stats(train_x)
    return DataSplit(train=TensorData(normalise_(train_x, mean, std), train_y),
                     val=TensorData(normalise_(val_x, mean, std), val_y), class_names=list(class_names),
                     input_shape=shape, mean=mean, std=std, source=source, notes=list(notes),
                     suggested_augment=suggested_augment or Augment(flip=True), target="mask")
