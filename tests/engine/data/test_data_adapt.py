"""Adapting images to the Input node, and repeating it for user images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import DatasetError, load_dataset, preprocess_images, stratified_split
from engine.data.adapt import adapt_images, pil_to_tensor


def test_grey_becomes_rgb_by_repetition_and_rgb_grey_by_luma():
    grey = torch.rand(2, 1, 5, 5)
    rgb = adapt_images(grey, (3, 5, 5))
    assert torch.equal(rgb[:, 0], rgb[:, 1]) and torch.equal(rgb[:, 1], rgb[:, 2])
    assert torch.allclose(rgb[:, :1], grey)
    red = torch.zeros(1, 3, 4, 4, dtype=torch.uint8)
    red[:, 0] = 255
    assert torch.allclose(adapt_images(red, (1, 4, 4)), torch.full((1, 1, 4, 4), 0.299))


def test_resize_keeps_flat_images_flat_and_reaches_the_input_size():
    flat = torch.full((3, 3, 50, 70), 0.25)
    small = adapt_images(flat, (3, 8, 9))
    big = adapt_images(flat, (3, 100, 90))
    assert small.shape == (3, 3, 8, 9) and big.shape == (3, 3, 100, 90)
    assert torch.allclose(small, torch.tensor(0.25)) and torch.allclose(big, torch.tensor(0.25))


def test_alpha_is_dropped_and_uint8_scaled_to_0_1():
    rgba = torch.zeros(1, 4, 2, 2, dtype=torch.uint8)
    rgba[:, 2] = 255
    rgba[:, 3] = 7
    out = adapt_images(rgba, (3, 2, 2))
    assert out[0, :, 0, 0].tolist() == [0.0, 0.0, 1.0]


def test_input_shapes_other_than_grey_or_rgb_are_refused():
    with pytest.raises(DatasetError, match="channels"):
        adapt_images(torch.zeros(1, 1, 4, 4), (2, 4, 4))
    with pytest.raises(DatasetError, match="channels"):
        load_dataset("shapes:20", (4, 8, 8))


def test_pil_images_of_every_common_mode_become_tensors():
    assert pil_to_tensor(Image.new("L", (3, 2))).shape == (1, 2, 3)
    assert pil_to_tensor(Image.new("RGBA", (3, 2))).shape == (3, 2, 3)
    assert pil_to_tensor(Image.new("P", (3, 2))).shape == (3, 2, 3)
    deep = pil_to_tensor(Image.fromarray(np.full((2, 3), 65535, dtype=np.uint16)))
    assert deep.shape == (1, 2, 3) and torch.allclose(deep, torch.tensor(1.0))


@pytest.mark.usefixtures("digits_available")
def test_preprocess_images_repeats_the_training_pipeline_for_the_same_image():
    from engine.data.digits import load_digits

    shape = (3, 20, 20)
    split = load_dataset("digits", shape, seed=7)
    raw, _ = load_digits()
    _, val_index = stratified_split(raw.labels, 0.2, seed=7)
    # the same validation images, given as a batch tensor and as a single image
    batch = preprocess_images(raw.images[val_index[:5]], split.input_shape, split.mean, split.std)
    assert torch.allclose(batch, split.val.images[:5], atol=1e-6)
    single = split.preprocess(raw.images[val_index[3]])
    assert torch.allclose(single[0], split.val.images[3], atol=1e-6)


def test_preprocess_accepts_pil_images_of_different_sizes():
    images = [Image.new("RGB", (10, 20), (255, 0, 0)), Image.new("L", (30, 5), 255)]
    out = preprocess_images(images, (1, 8, 8), (0.5,), (0.25,))
    assert out.shape == (2, 1, 8, 8)
    assert torch.allclose(out[0], torch.tensor((0.299 - 0.5) / 0.25), atol=1e-5)
    assert torch.allclose(out[1], torch.tensor((1.0 - 0.5) / 0.25), atol=1e-5)
