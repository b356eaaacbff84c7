"""Unfamiliar images are told apart from images like the training ones."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import load_dataset
from engine.familiarity import Familiarity
from engine.predict import load_image_file

SHAPE = (1, 28, 28)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits", SHAPE, val_fraction=0.2, seed=0)


def from_file(tmp_path, name: str, pixels: np.ndarray, data) -> torch.Tensor:
    path = tmp_path / name
    Image.fromarray(pixels).save(path)
    return load_image_file(str(path), SHAPE, data.mean, data.std)[0]


def digit_pixels(data, index: int) -> np.ndarray:
    image = data.val.images[index] * torch.tensor(data.std).view(-1, 1, 1) + torch.tensor(data.mean).view(-1, 1, 1)
    return (image[0].clamp(0, 1) * 255).round().byte().numpy()


def test_images_like_the_training_ones_are_familiar(digits, tmp_path):
    familiarity = Familiarity.from_images(digits.val.images)
    assert all(familiarity.looks_familiar(image) for image in digits.val.images)
    # A validation digit saved as a large PNG and read back, as a user would try one.
    big = np.array(Image.fromarray(digit_pixels(digits, 3)).resize((200, 200)))
    assert familiarity.looks_familiar(from_file(tmp_path, "digit.png", big, digits))


@pytest.mark.parametrize("kind", ["colour noise", "inverted digit", "blank"])
def test_unlike_images_are_unfamiliar(digits, tmp_path, kind):
    familiarity = Familiarity.from_images(digits.val.images)
    pixels = {
        "colour noise": np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8),
        "inverted digit": 255 - digit_pixels(digits, 3),
        "blank": np.zeros((40, 40), dtype=np.uint8),
    }[kind]
    image = from_file(tmp_path, "odd.png", pixels, digits)
    assert not familiarity.looks_familiar(image)
    assert familiarity.distance(image) > familiarity.threshold


def test_one_reference_image_is_refused():
    with pytest.raises(ValueError, match="at least two"):
        Familiarity.from_images(torch.zeros(1, 1, 8, 8))
