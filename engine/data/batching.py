"""The order of samples in one epoch: shuffling and sharding across ranks."""

from __future__ import annotations

import math

import torch


def check_shard(shard: tuple[int, int] | None) -> tuple[int, int] | None:
    """Validate a (rank, world_size) pair."""
    if shard is None:
        return None
    rank, world_size = (int(v) for v in shard)
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"shard must be (rank, world_size) with 0 <= rank < world_size, not {shard}")
    return rank, world_size


def samples_per_epoch(length: int, shard: tuple[int, int] | None) -> int:
    """Samples one rank sees per epoch (all of them without sharding)."""
    shard = check_shard(shard)
    return length if shard is None else math.ceil(length / shard[1])


def count_batches(samples: int, batch_size: int, drop_last: bool) -> int:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, not {batch_size}")
    return samples // batch_size if drop_last else math.ceil(samples / batch_size)


def epoch_order(
    length: int,
    shuffle: bool,
    generator: torch.Generator | None = None,
    shard: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Sample indices (int64) for one epoch, as torch's DistributedSampler does.

    With `shard=(rank, world_size)` every rank must pass a generator in the
    same state (e.g. seeded with seed + epoch) so they agree on the shuffled
    order; each rank then takes every world_size-th index starting at its
    rank. The order is first padded by wrapping around so the ranks get equal
    shares (the slices are disjoint when `length` divides evenly).
    """
    order = torch.randperm(length, generator=generator) if shuffle else torch.arange(length)
    shard = check_shard(shard)
    if shard is None:
        return order
    rank, world_size = shard
    if length == 0:
        return order
    total = math.ceil(length / world_size) * world_size
    if total > length:
        repeats = math.ceil((total - length) / length)
        order = torch.cat([order, order.repeat(repeats)[: total - length]])
    return order[rank:total:world_size]


class BatchSource:
    """What TensorData and StreamData share: a length and how many batches an epoch makes."""

    def __len__(self) -> int:
        raise NotImplementedError

    def num_batches(self, batch_size: int, *, drop_last: bool = False, shard: tuple[int, int] | None = None) -> int:
        return count_batches(samples_per_epoch(len(self), shard), batch_size, drop_last)
