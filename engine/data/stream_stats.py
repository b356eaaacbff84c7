"""Per-channel mean and std over a split, streamed: images are read a batch at a time (never all held),
progress is reported and a cancel request is honoured between batches."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import DatasetError
from .sample_index import TRAIN, SampleIndex

BATCH = 256


class Cancelled(Exception):
    """The caller asked to stop before the statistics were complete."""


def streamed_channel_stats(samples: SampleIndex, input_shape: Sequence[int], *, split: int = TRAIN,
                           progress: Callable[[int, int], None] | None = None,
                           cancelled: Callable[[], bool] = lambda: False,
                           ) -> tuple[tuple[float, ...], tuple[float, ...], int]:
    """(mean, std, images counted) of ``split``'s images adapted to ``input_shape`` (size, channels; 0..1),
    as the Input receives them before normalisation. Sums are float64. Raises Cancelled when asked to stop,
    DatasetError when the split is empty; an image that cannot be read is skipped (the Problems list names it)."""
    import torch

    from .adapt import adapt_images, check_input_shape

    shape = check_input_shape(input_shape)
    order = samples.indices(split=split)
    if order.size == 0:
        raise DatasetError("The training split is empty: there is nothing to compute statistics over.")
    total = torch.zeros(shape[0], dtype=torch.float64)
    total_sq = torch.zeros(shape[0], dtype=torch.float64)
    counted = 0
    for start in range(0, order.size, BATCH):
        if cancelled():
            raise Cancelled()
        images = []
        for index in order[start:start + BATCH]:
            try:
                images.append(torch.from_numpy(samples.image(index)).permute(2, 0, 1))
            except DatasetError:
                continue
        for same in _same_shape_groups(images):
            adapted = adapt_images(torch.stack(same), shape).to(torch.float64)
            total += adapted.sum(dim=(0, 2, 3))
            total_sq += adapted.square().sum(dim=(0, 2, 3))
            counted += len(same)
        if progress is not None:
            progress(min(start + BATCH, order.size), int(order.size))
    if counted == 0:
        raise DatasetError("None of the training images could be read: there is nothing to compute statistics over.")
    pixels = counted * shape[1] * shape[2]
    mean = total / pixels
    std = (total_sq / pixels - mean.square()).clamp_min(0).sqrt()
    std = torch.where(std < 1e-6, torch.ones_like(std), std)  # a constant channel: as channel_stats does
    return tuple(mean.tolist()), tuple(std.tolist()), counted


def _same_shape_groups(images: list) -> list[list]:
    groups: dict[tuple, list] = {}
    for image in images:
        groups.setdefault(tuple(image.shape), []).append(image)
    return list(groups.values())

