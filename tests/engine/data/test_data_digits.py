"""The bundled Digits set, the stratified split and train-split normalisation."""

from __future__ import annotations

import pytest
import torch

from engine.data import DatasetError, TensorData, dataset_info, load_dataset, stratified_split

pytestmark = pytest.mark.usefixtures("digits_available")


def test_digits_loads_as_ten_classes_of_1797_images():
    split = load_dataset("digits", (1, 8, 8))
    assert split.class_names == [str(d) for d in range(10)]
    assert isinstance(split.train, TensorData) and isinstance(split.val, TensorData)
    assert len(split.train) + len(split.val) == 1797
    assert "digits" in split.source and "1,797" in split.source
    assert split.suggested_augment.flip is False  # a mirrored 2 is not a 2


def test_split_sizes_follow_val_fraction_and_each_class_is_split_alike():
    split = load_dataset("digits", (1, 8, 8), val_fraction=0.25)
    assert len(split.val) == pytest.approx(0.25 * 1797, abs=10)
    train_counts = torch.bincount(split.train.labels, minlength=10)
    val_counts = torch.bincount(split.val.labels, minlength=10)
    share = val_counts.double() / (train_counts + val_counts).double()
    assert torch.all((share - 0.25).abs() < 0.01)


def test_split_is_deterministic_per_seed():
    a = load_dataset("digits", (1, 8, 8), seed=1)
    b = load_dataset("digits", (1, 8, 8), seed=1)
    c = load_dataset("digits", (1, 8, 8), seed=2)
    assert torch.equal(a.val.images, b.val.images)
    assert not torch.equal(a.val.images, c.val.images)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 8, 8)])
def test_adapted_train_split_is_normalised_per_channel(shape):
    split = load_dataset("digits", shape)
    assert split.input_shape == shape
    assert split.train.images.shape[1:] == shape and split.val.images.shape[1:] == shape
    assert split.train.images.dtype == torch.float32 and split.train.labels.dtype == torch.int64
    assert len(split.mean) == len(split.std) == shape[0]
    x = split.train.images.double()
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(shape[0], dtype=torch.float64), atol=1e-4)
    assert torch.allclose(x.std(dim=(0, 2, 3)), torch.ones(shape[0], dtype=torch.float64), atol=1e-3)
    # validation uses the train statistics, so it is close to but not exactly standard
    assert abs(float(split.val.images.mean())) < 0.1


@pytest.mark.parametrize("fraction", [0, 0.0, -0.1, 0.95, 1, float("nan")])
def test_val_fraction_outside_0_to_0_9_is_refused(fraction):
    with pytest.raises(DatasetError, match="validation fraction"):
        load_dataset("digits", (1, 8, 8), val_fraction=fraction)


def test_stratified_split_keeps_a_train_sample_of_every_class_and_refuses_tiny_sets():
    labels = torch.tensor([0, 0, 1, 1, 1, 2])
    train, val = stratified_split(labels, 0.9, seed=0)
    assert set(labels[train].tolist()) == {0, 1, 2}  # the lone 2 stays in training
    assert sorted(train.tolist() + val.tolist()) == list(range(6))
    with pytest.raises(DatasetError, match="too few"):
        stratified_split(torch.tensor([0, 1, 2]), 0.5)


def test_dataset_info_describes_digits_without_a_split():
    info = dataset_info("digits")
    assert info.num_classes == 10 and info.channels == 1
    assert info.native_size == (8, 8) and info.num_samples == 1797


def test_a_set_over_the_memory_limit_streams_the_same_batches():
    from engine.data import StreamData

    held = load_dataset("digits", (1, 12, 12))
    streamed = load_dataset("digits", (1, 12, 12), max_in_memory_bytes=10_000)
    assert isinstance(streamed.train, StreamData) and any("streamed" in n for n in streamed.notes)
    assert streamed.mean == pytest.approx(held.mean) and streamed.std == pytest.approx(held.std)
    streamed.val.num_workers = 0  # same code path, without starting processes
    for (xs, ys), (xh, yh) in zip(streamed.val.iter_batches(100), held.val.iter_batches(100)):
        assert torch.equal(ys, yh) and torch.allclose(xs, xh, atol=1e-5)
    assert streamed.val.num_batches(100) == held.val.num_batches(100) == 4
