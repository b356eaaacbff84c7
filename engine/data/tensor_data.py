"""`TensorData`: a whole split held as two tensors, batched by indexing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import torch

from .augment import Augment, paired_boxes
from .batching import BatchSource, count_batches, epoch_order


class TensorData(BatchSource):
    """Images (N, C, H, W) float32, already adapted and normalised, and labels (N,) int64, or for
    segmentation masks (N, H, W) int64, which augmentation moves together with their images.

    A batch is one `index_select` on the epoch's order, so an epoch costs no
    per-sample work at all. Also usable as the `dataset` of a torch sampler
    (it has `__len__`), e.g. a DistributedSampler.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        if images.dim() != 4:
            raise ValueError(f"images must be (N, C, H, W), got shape {tuple(images.shape)}")
        is_mask = labels.dim() == 3 and tuple(labels.shape[1:]) == tuple(images.shape[2:])
        # Detection: padded box rows (N, M, 5) of class, x0, y0, x1, y1 (engine.tasks.detection), kept float.
        self.is_boxes = not is_mask and labels.dim() == 3 and labels.shape[2] == 5 and labels.is_floating_point()
        # Multi-label: (N, K) floats, 1 where the image shows finding k (engine.tasks.multilabel), kept float.
        self.is_findings = labels.dim() == 2 and labels.is_floating_point()
        if (labels.dim() != 1 and not is_mask and not self.is_boxes and not self.is_findings) \
                or labels.shape[0] != images.shape[0]:
            raise ValueError(f"labels must be (N,), masks (N, H, W), boxes (N, M, 5) or findings (N, K) with "
                             f"N={images.shape[0]} and the images' H×W, got shape {tuple(labels.shape)}")
        self.images = images if images.dtype == torch.float32 else images.to(torch.float32)
        self.labels = labels.to(torch.float32) if self.is_boxes or self.is_findings else labels.to(torch.int64)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        return f"TensorData({len(self)} images of {tuple(self.images.shape[1:])})"

    @property
    def sample_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])  # type: ignore[return-value]

    def iter_batches(
        self,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        augment: Augment | None = None,
        *,
        shard: tuple[int, int] | None = None,
        sampler: Iterable[int] | None = None,
        drop_last: bool = False,
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Yield (images, labels) batches for one epoch.

        `shuffle` draws a random order from `generator`; `shard=(rank,
        world_size)` keeps this rank's equal share of that order (see
        :func:`engine.data.batching.epoch_order`); `sampler` (any iterable of
        indices, e.g. a DistributedSampler) replaces both. `augment` is
        applied to each batch, with random numbers from `generator`.
        """
        count_batches(len(self), batch_size, drop_last)  # validates batch_size
        if sampler is not None:
            order = torch.as_tensor(list(iter(sampler)), dtype=torch.int64)
        else:
            order = epoch_order(len(self), shuffle, generator, shard)
        for start in range(0, order.shape[0], batch_size):
            index = order[start : start + batch_size]
            if drop_last and index.shape[0] < batch_size:
                break
            images, labels = self.images.index_select(0, index), self.labels.index_select(0, index)
            if augment is not None and self.is_boxes:
                images, labels = paired_boxes(augment, images, labels, generator)
            elif augment is not None and labels.dim() == 3:
                images, labels = augment.paired(images, labels, generator)
            elif augment is not None:
                images = augment(images, generator)
            yield images, labels
