"""Batching, sharding and augmentation of TensorData and StreamData."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import DistributedSampler

from engine.data import Augment, StreamData, TensorData
from engine.data.stream_data import AdaptedArrayDataset


def numbered(n: int, shape=(1, 4, 4)) -> TensorData:
    """Image i is filled with the value i and labelled i, so batches can be checked."""
    images = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, *shape).contiguous()
    return TensorData(images, torch.arange(n))


def epoch(data, *args, **kwargs) -> tuple[list[int], list[int]]:
    ids, sizes = [], []
    for x, y in data.iter_batches(*args, **kwargs):
        assert torch.equal(x[:, 0, 0, 0].long(), y)  # images and labels stay paired
        ids += y.tolist()
        sizes.append(len(y))
    return ids, sizes


def test_every_sample_comes_exactly_once_per_epoch_in_a_new_order():
    data = numbered(103)
    g = torch.Generator().manual_seed(0)
    first, sizes = epoch(data, 10, shuffle=True, generator=g)
    second, _ = epoch(data, 10, shuffle=True, generator=g)
    assert sorted(first) == sorted(second) == list(range(103))
    assert first != second and first != list(range(103))
    assert sizes == [10] * 10 + [3] and data.num_batches(10) == 11


def test_without_shuffle_the_order_is_the_stored_one_and_drop_last_drops():
    data = numbered(25)
    ids, sizes = epoch(data, 10, drop_last=True)
    assert ids == list(range(20)) and sizes == [10, 10]
    assert data.num_batches(10, drop_last=True) == 2


@pytest.mark.parametrize("n", [40, 41])
def test_two_ranks_get_disjoint_equal_slices_of_the_same_permutation(n):
    data = numbered(n)
    parts = []
    for rank in (0, 1):
        g = torch.Generator().manual_seed(11)  # every rank seeds alike
        ids, _ = epoch(data, 8, shuffle=True, generator=g, shard=(rank, 2))
        parts.append(ids)
        assert data.num_batches(8, shard=(rank, 2)) == -(-len(ids) // 8)
    assert len(parts[0]) == len(parts[1]) == -(-n // 2)
    assert set(parts[0]) | set(parts[1]) == set(range(n))
    overlap = set(parts[0]) & set(parts[1])
    assert len(overlap) == (0 if n % 2 == 0 else 1)  # padding wraps around, like DistributedSampler


def test_a_torch_sampler_can_drive_the_order():
    data = numbered(30)
    sampler = DistributedSampler(data, num_replicas=3, rank=1, shuffle=True, seed=0)
    ids, _ = epoch(data, 4, sampler=sampler)
    assert ids == list(sampler)


def test_augment_keeps_shapes_changes_images_and_only_shifts_pixels():
    torch.manual_seed(0)
    x = torch.rand(64, 3, 16, 16)
    g = torch.Generator().manual_seed(0)
    out = Augment(crop_padding=3, flip=False)(x, g)
    assert out.shape == x.shape
    assert not torch.equal(out, x)
    # each output is a window of the replicate-padded input
    padded = torch.nn.functional.pad(x, (3, 3, 3, 3), mode="replicate")
    windows = padded.unfold(2, 16, 1).unfold(3, 16, 1)  # (N, C, 7, 7, 16, 16)
    for i in range(8):
        matches = (windows[i] == out[i].view(3, 1, 1, 16, 16)).all(dim=(0, 3, 4))
        assert matches.any()


def test_flip_mirrors_about_half_the_batch_and_can_be_turned_off():
    x = torch.rand(200, 1, 6, 6)
    g = torch.Generator().manual_seed(1)
    out = Augment(crop_padding=0, flip=True)(x, g)
    flipped = (out == x.flip(-1)).all(dim=(1, 2, 3))
    kept = (out == x).all(dim=(1, 2, 3))
    assert torch.all(flipped | kept) and 60 < int(flipped.sum()) < 140
    assert torch.equal(Augment(crop_padding=0, flip=False)(x, g), x)


def test_augmentation_is_reproducible_and_default_padding_scales_with_size():
    x = torch.rand(16, 3, 32, 32)
    a = Augment(flip=True)(x, torch.Generator().manual_seed(5))
    b = Augment(flip=True)(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    assert Augment().padding_for(32, 32) == 4 and Augment().padding_for(8, 8) == 2
    assert Augment().padding_for(28, 28) == 3


def test_augmented_batches_come_from_iter_batches():
    data = TensorData(torch.rand(20, 3, 8, 8), torch.zeros(20, dtype=torch.long))
    g = torch.Generator().manual_seed(0)
    x, _ = next(data.iter_batches(10, augment=Augment(flip=True), generator=g))
    assert x.shape == (10, 3, 8, 8) and not torch.equal(x, data.images[:10])
    assert data.images.shape == (20, 3, 8, 8)  # the stored images are untouched


def raw_stream(n: int, workers: int) -> StreamData:
    raw = (torch.arange(n, dtype=torch.float32) / n).view(n, 1, 1, 1).expand(n, 1, 6, 6).contiguous()
    return StreamData(AdaptedArrayDataset(raw, torch.arange(n), (1, 6, 6), (0.0,), (1.0 / n,)), num_workers=workers)


def test_stream_data_batches_like_tensor_data():
    stream = raw_stream(50, workers=0)
    g = torch.Generator().manual_seed(0)
    ids, sizes = [], []
    for x, y in stream.iter_batches(8, shuffle=True, generator=g):
        assert torch.allclose(x[:, 0, 0, 0], y.float(), atol=1e-3)
        ids += y.tolist()
        sizes.append(len(y))
    assert sorted(ids) == list(range(50)) and len(sizes) == stream.num_batches(8) == 7
    shards = [
        [int(v) for _, y in stream.iter_batches(8, True, torch.Generator().manual_seed(1), shard=(r, 2)) for v in y]
        for r in (0, 1)
    ]
    assert len(shards[0]) == len(shards[1]) == 25 and not set(shards[0]) & set(shards[1])


def test_stream_data_workers_serve_several_epochs():
    stream = raw_stream(40, workers=2)
    for seed in (0, 1):
        ids = [int(v) for _, y in stream.iter_batches(16, True, torch.Generator().manual_seed(seed)) for v in y]
        assert sorted(ids) == list(range(40))
    stream.close()
