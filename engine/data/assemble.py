"""From raw images in memory to a `DataSplit`: adapt, normalise, wrap.

Shared by every source whose raw pixels fit in memory (digits, shapes, the
torchvision sets). The split decides between holding the adapted images as
tensors (`TensorData`) and adapting per sample in workers (`StreamData`)
from how large the adapted images would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .adapt import adapt_images, channel_stats, check_input_shape, normalise_
from .augment import Augment
from .datasplit import DataSplit
from .errors import DatasetError
from .stratify import stratified_split
from .stream_data import AdaptedArrayDataset, StreamData
from .tensor_data import TensorData

#: Above this many bytes of adapted float32 images, a dataset is streamed.
DEFAULT_MAX_IN_MEMORY_BYTES = 1_500_000_000

#: Training images used to estimate mean/std when a set is streamed.
STATS_SAMPLE_SIZE = 2048


@dataclass
class LabelledImages:
    """Raw images (N, C, H, W), uint8 0..255 or float 0..1, with int64 labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def subset(self, index: torch.Tensor) -> "LabelledImages":
        return LabelledImages(self.images.index_select(0, index), self.labels.index_select(0, index))


def adapted_bytes(num_images: int, input_shape: Sequence[int]) -> int:
    """Bytes `num_images` take once adapted to `input_shape` (float32)."""
    c, h, w = input_shape
    return num_images * c * h * w * 4


def format_bytes(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    raise AssertionError("unreachable")


def split_by_fraction(data: LabelledImages, val_fraction: float, seed: int) -> tuple[LabelledImages, LabelledImages]:
    """Stratified train/validation split of a set that has no official one."""
    train_index, val_index = stratified_split(data.labels, val_fraction, seed)
    return data.subset(train_index), data.subset(val_index)


def check_labels(labels: torch.Tensor, num_classes: int, where: str) -> None:
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise DatasetError(
            f"{where} has labels outside 0..{num_classes - 1} "
            f"(found {int(labels.min())}..{int(labels.max())}); the files may be damaged."
        )


def estimate_stats(
    images: torch.Tensor, input_shape: Sequence[int], seed: int, sample_size: int = STATS_SAMPLE_SIZE
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std of a random (deterministic) sample of raw images, once adapted."""
    n = images.shape[0]
    if n > sample_size:
        index = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed)))[:sample_size]
        images = images.index_select(0, index.sort().values)
    return channel_stats(adapt_images(images, input_shape))


def build_split(
    train: LabelledImages,
    val: LabelledImages,
    *,
    input_shape: Sequence[int],
    class_names: Sequence[str],
    source: str,
    notes: Sequence[str] = (),
    seed: int = 0,
    max_in_memory_bytes: int = DEFAULT_MAX_IN_MEMORY_BYTES,
    suggested_augment: Augment | None = None,
) -> DataSplit:
    """Adapt raw train/val images to `input_shape` and normalise with train statistics."""
    shape = check_input_shape(input_shape)
    notes = list(notes)
    for part, name in ((train, "The training split"), (val, "The validation split")):
        if len(part) == 0:
            raise DatasetError(f"{name} of {source} is empty.")
        check_labels(part.labels, len(class_names), name)
    needed = adapted_bytes(len(train) + len(val), shape)
    if needed <= max_in_memory_bytes:
        train_x = adapt_images(train.images, shape)
        mean, std = channel_stats(train_x)
        val_x = normalise_(adapt_images(val.images, shape), mean, std)
        train_data = TensorData(normalise_(train_x, mean, std), train.labels)
        val_data = TensorData(val_x, val.labels)
    else:
        mean, std = estimate_stats(train.images, shape, seed)
        train_data = StreamData(AdaptedArrayDataset(train.images, train.labels, shape, mean, std))
        val_data = StreamData(AdaptedArrayDataset(val.images, val.labels, shape, mean, std))
        notes.append(
            f"streamed: adapted to {shape[0]}×{shape[1]}×{shape[2]} the images would take "
            f"{format_bytes(needed)}, over the in-memory limit of {format_bytes(max_in_memory_bytes)}; "
            f"mean/std estimated on {min(len(train), STATS_SAMPLE_SIZE):,} training images"
        )
    return DataSplit(
        train=train_data,
        val=val_data,
        class_names=list(class_names),
        input_shape=shape,
        mean=mean,
        std=std,
        source=source,
        notes=notes,
        suggested_augment=suggested_augment or Augment(),
    )
