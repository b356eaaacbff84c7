"""The bundled offline Digits dataset is present, plain and sane."""

from __future__ import annotations

from importlib.resources import as_file, files

import numpy as np
import pytest


@pytest.fixture(scope="module")
def digits():
    with as_file(files("resources") / "digits.npz") as path:
        with np.load(path, allow_pickle=False) as data:
            yield {key: data[key] for key in data.files}


def test_digits_has_1797_8x8_images_with_labels(digits):
    assert digits["images"].shape == (1797, 8, 8)
    assert digits["labels"].shape == (1797,)


def test_digits_pixel_values_are_within_0_to_16(digits):
    images = digits["images"]
    assert np.issubdtype(images.dtype, np.integer)
    assert images.min() >= 0
    assert images.max() <= 16


def test_digits_has_ten_classes_named_0_to_9(digits):
    assert sorted(np.unique(digits["labels"]).tolist()) == list(range(10))
    assert digits["class_names"].tolist() == [str(d) for d in range(10)]


def test_every_digit_class_has_at_least_170_samples(digits):
    counts = np.bincount(digits["labels"], minlength=10)
    assert counts.min() >= 170, f"class counts: {counts.tolist()}"
