"""The generated Shapes set."""

from __future__ import annotations


import pytest
import torch

from engine.data import DatasetError, dataset_info, generate_shapes, load_dataset


def test_same_seed_same_images_other_seed_other_images():
    a, la = generate_shapes(200, (32, 32), seed=3)
    b, lb = generate_shapes(200, (32, 32), seed=3)
    c, _ = generate_shapes(200, (32, 32), seed=4)
    assert torch.equal(a, b) and torch.equal(la, lb)
    assert not torch.equal(a, c)


def test_classes_are_balanced_and_images_are_rgb_on_0_to_1():
    images, labels = generate_shapes(2000, (32, 32), seed=0)
    assert images.shape == (2000, 3, 32, 32) and images.dtype == torch.float32
    assert torch.bincount(labels).tolist() == [400] * 5
    assert images.min() >= 0 and images.max() <= 1
    assert images.std(dim=(1, 2, 3)).min() > 0.05  # every image shows something


def test_two_thousand_images_of_32x32_are_drawn_in_one_call():
    # How fast: make bench (bench_budgets); a timed assert would fail on a busy machine.
    images, labels = generate_shapes(2000, (32, 32), seed=0)
    assert images.shape == (2000, 3, 32, 32) and labels.shape == (2000,)


def test_images_are_drawn_at_any_resolution():
    images, _ = generate_shapes(12, (17, 40), seed=0)
    assert images.shape == (12, 3, 17, 40)


def test_shapes_spec_sets_the_count_and_the_split_adapts_to_grey():
    split = load_dataset("shapes:500", (1, 24, 24), seed=5)
    assert len(split.train) + len(split.val) == 500
    assert split.class_names == ["circle", "square", "triangle", "cross", "ring"]
    assert split.train.images.shape[1:] == (1, 24, 24)
    assert torch.bincount(split.val.labels).tolist() == [20] * 5
    assert "shapes" in split.source and "500" in split.source


def test_bad_shapes_counts_are_refused():
    for spec in ("shapes:abc", "shapes:3", "shapes:-5"):
        with pytest.raises(DatasetError, match="shapes:5000"):
            load_dataset(spec, (3, 32, 32))


def test_info_needs_no_generation():
    info = dataset_info("shapes:300")
    assert info.num_samples == 300 and info.channels == 3 and info.native_size is None
    assert info.num_classes == 5
