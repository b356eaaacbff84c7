"""Fixtures for the datasets-layer tests: real files written to tmp_path."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write a uint8 array in the IDX format of the MNIST files (big-endian header)."""
    assert array.dtype == np.uint8
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    path.write_bytes(header + array.tobytes())


def make_digit_like(labels: np.ndarray, size: int = 28) -> np.ndarray:
    """Images whose bright column encodes the label (so labels and pixels can be matched)."""
    images = np.zeros((len(labels), size, size), dtype=np.uint8)
    for i, label in enumerate(labels):
        images[i, 4:24, 2 + 2 * int(label)] = 255
        images[i, 0, 0] = i % 256  # makes every image distinct
    return images


def write_mnist_layout(root: Path, folder: str = "MNIST", train: int = 60, test: int = 20, parts=("train", "test")):
    raw = root / folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for part in parts:
        n = train if part == "train" else test
        labels = (np.arange(n) % 10).astype(np.uint8)
        images_file, labels_file = MNIST_FILES[part]
        write_idx(raw / images_file, make_digit_like(labels))
        write_idx(raw / labels_file, labels)
    return raw


@pytest.fixture
def mnist_layout():
    """write_mnist_layout(root, folder="MNIST", train=60, test=20, parts=("train", "test")) -> raw folder."""
    return write_mnist_layout


@pytest.fixture
def mnist_root(tmp_path: Path) -> Path:
    write_mnist_layout(tmp_path)
    return tmp_path


def _save(image: Image.Image, path: Path, **options) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)
    return path


@pytest.fixture
def image_folder(tmp_path: Path) -> Path:
    """cats/ and dogs/ with mixed modes and sizes, a corrupt file, a text file, a nested folder."""
    root = tmp_path / "pets"
    rng = np.random.default_rng(0)
    # cats: colour images of several modes and sizes
    rgba = np.concatenate([rng.integers(0, 256, (30, 20, 3)), np.full((30, 20, 1), 128)], axis=2)
    _save(Image.fromarray(rgba.astype(np.uint8), "RGBA"), root / "cats" / "rgba.png")
    palette = Image.fromarray(rng.integers(0, 256, (16, 16, 3)).astype(np.uint8), "RGB").quantize(8)
    _save(palette, root / "cats" / "palette.png")
    _save(Image.fromarray(rng.integers(0, 256, (24, 24, 3)).astype(np.uint8), "RGB"), root / "cats" / "photo.jpg")
    for i in range(3):
        _save(Image.new("RGB", (12 + i, 10), (200, 30 * i, 10)), root / "cats" / f"plain{i}.png")
    _save(Image.new("RGB", (18, 18), (10, 220, 10)), root / "cats" / "nested" / "deeper" / "green.png")
    (root / "cats" / "x.png").write_bytes(rng.integers(0, 256, 300, dtype=np.uint8).tobytes())
    (root / "cats" / "readme.txt").write_text("not an image")
    (root / "cats" / ".DS_Store").write_bytes(b"\0\1")
    # dogs: grey images
    for i in range(6):
        _save(Image.new("L", (40, 40 - i), 20 * i), root / "dogs" / f"grey{i}.png")
    return root


@pytest.fixture
def digits_available() -> None:
    from engine.data.digits import digits_path

    if not digits_path().is_file():
        pytest.skip("resources/digits.npz is not there yet")
