"""`StreamData`: a split too large for memory, prepared per sample by workers."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler
from torch.utils.data.dataloader import default_collate

from .adapt import adapt_images, normalise_
from .augment import Augment
from .batching import BatchSource, count_batches, epoch_order


def default_num_workers() -> int:
    return min(4, os.cpu_count() or 1)


def collate_skipping_missing(samples: list[Any]) -> Any:
    """Collate a batch, leaving out samples a dataset could not produce (None).

    An image file that turns out to be truncated only when decoded in a
    worker thus shrinks its batch instead of ending the epoch.
    """
    present = [s for s in samples if s is not None]
    return default_collate(present) if present else None


def stop_idle_forkserver() -> None:
    """Stops multiprocessing's forkserver once no child process is left.

    DataLoader workers of the "forkserver" context (what the desktop app uses: it must not fork a
    process running Qt threads) start it on demand, and Python keeps it for the rest of the
    process; the next workers start it again. ``_stop`` is CPython's own (private) way to stop
    it, used by its tests; where it is missing the idle process stays, as before.

    The resource tracker those workers also start stays, on purpose: it is one idle process that
    unlinks the workers' named semaphores if ConvCanvas crashes, and it ends when ConvCanvas does.
    Stopping it while any queue of a loader is still referenced (an epoch left half-way) would
    unlink semaphores still in use.
    """
    import multiprocessing
    from multiprocessing import forkserver

    if multiprocessing.active_children():
        return
    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


class _OrderSampler(Sampler[int]):
    """Yields whatever order was last given to it (set once per epoch).

    The DataLoader keeps its sampler, so one loader (with its persistent
    workers) can serve every epoch while the order changes.
    """

    def __init__(self) -> None:
        self.order: list[int] = []

    def __iter__(self) -> Iterator[int]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)


class AdaptedArrayDataset(Dataset):
    """Raw images in memory (N, C, H, W, uint8 or float 0..1), adapted per item.

    Used when a set's raw pixels fit in memory but its adapted form would not
    (say CIFAR-10 at 224×224): each item is resized and normalised on demand,
    by the same functions as the in-memory path.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        input_shape: Sequence[int],
        mean: Sequence[float],
        std: Sequence[float],
    ) -> None:
        self.images = images
        self.labels = labels.to(torch.int64)
        self.input_shape = tuple(input_shape)
        self.mean = tuple(mean)
        self.std = tuple(std)

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = adapt_images(self.images[index : index + 1], self.input_shape)
        return normalise_(image, self.mean, self.std)[0], self.labels[index]


class StreamData(BatchSource):
    """A torch Dataset of (image, label) served in batches by a DataLoader.

    Same batching interface as TensorData. Workers: min(4, CPUs) by default,
    kept alive between epochs; memory is pinned when CUDA is available.
    """

    def __init__(
        self,
        dataset: Dataset,
        *,
        num_workers: int | None = None,
        pin_memory: bool | None = None,
        labels: torch.Tensor | None = None,
        multiprocessing_context: str | None = None,
    ) -> None:
        self.dataset = dataset
        #: None: the platform default (fork on Linux). A process with GUI or
        #: other threads may prefer "spawn" or "forkserver".
        self.multiprocessing_context = multiprocessing_context
        self.num_workers = default_num_workers() if num_workers is None else int(num_workers)
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else bool(pin_memory)
        #: all labels, in dataset order (for class counts, confusion matrices)
        self.labels = labels if labels is not None else getattr(dataset, "labels", None)
        self._order = _OrderSampler()
        self._loader: DataLoader | None = None
        self._loader_key: tuple | None = None

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"StreamData({len(self)} samples, {self.num_workers} workers)"

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
        """Yield (images, labels) batches for one epoch; see TensorData.iter_batches."""
        count_batches(len(self), batch_size, drop_last)  # validates batch_size
        if sampler is None:
            self._order.order = epoch_order(len(self), shuffle, generator, shard).tolist()
            sampler = self._order
        for batch in self._loader_for(batch_size, drop_last, sampler):
            if batch is None:
                continue
            images, labels = batch
            if augment is not None:
                images = augment(images, generator)
            yield images, labels

    def close(self) -> None:
        """Stops the worker processes and their queue threads now; the next epoch starts new ones.

        Dropping the loader is not enough: an epoch left half-way (a stop, an error) keeps its
        iterator alive in a suspended generator, and with it the workers, until a garbage collection.
        """
        loader, self._loader, self._loader_key = self._loader, None, None
        # torch keeps a persistent-workers iterator on the loader; shutting it down joins the
        # workers and closes their index queues (which ends the queues' feeder threads).
        shutdown = getattr(getattr(loader, "_iterator", None), "_shutdown_workers", None)
        if shutdown is not None:
            shutdown()

    def _loader_for(self, batch_size: int, drop_last: bool, sampler: Iterable[int]) -> DataLoader:
        key = (batch_size, drop_last, id(sampler))
        if self._loader is None or self._loader_key != key:
            workers = self.num_workers
            self._loader = DataLoader(
                self.dataset,
                batch_size=batch_size,
                sampler=sampler,  # type: ignore[arg-type]
                drop_last=drop_last,
                num_workers=workers,
                persistent_workers=workers > 0,
                pin_memory=self.pin_memory,
                collate_fn=collate_skipping_missing,
                multiprocessing_context=self.multiprocessing_context if workers > 0 else None,
            )
            self._loader_key = key
        return self._loader
