"""Small dataset folders the Data view tests write: imbalanced, with duplicates across splits, with corrupt
and odd-sized files, image+mask pairs."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from PIL import Image


def write_image(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path)
    return path


def noise(rng, size=(12, 12), channels: int = 3) -> np.ndarray:
    shape = size + ((channels,) if channels > 1 else ())
    return rng.integers(0, 256, shape, dtype=np.uint8)


def imbalanced_folder(root: Path, counts: dict[str, int], seed: int = 0, channels: int = 3) -> Path:
    rng = np.random.default_rng(seed)
    for name, count in counts.items():
        for i in range(count):
            write_image(root / name / f"{i:04d}.png", noise(rng, channels=channels))
    return root


def problem_folder(root: Path) -> Path:
    """Two classes of 10; cats/copy.png duplicates cats/0000.png; dogs/broken.png is not an image;
    dogs/huge.png is 60×60 among 12×12 images."""
    imbalanced_folder(root, {"cats": 10, "dogs": 10})
    shutil.copy(root / "cats" / "0000.png", root / "cats" / "copy.png")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG but not really")
    write_image(root / "dogs" / "huge.png", noise(np.random.default_rng(9), (60, 60)))
    return root


def mask_folder(root: Path, count: int = 6, size=(10, 12)) -> Path:
    """Index masks of 3 classes with a classes.txt; images/bad.png's mask is one pixel too narrow and
    images/odd.png's mask holds class 7."""
    rng = np.random.default_rng(1)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    (root / "classes.txt").write_text("background\ncircle\nsquare\n")
    for i in range(count):
        write_image(root / "images" / f"{i}.png", noise(rng, size))
        write_image(root / "masks" / f"{i}.png", rng.integers(0, 3, size, dtype=np.uint8))
    write_image(root / "images" / "bad.png", noise(rng, size))
    write_image(root / "masks" / "bad.png", np.zeros((size[0], size[1] - 1), np.uint8))
    write_image(root / "images" / "odd.png", noise(rng, size))
    write_image(root / "masks" / "odd.png", np.full(size, 7, np.uint8))
    return root


def coco_folder(root: Path) -> Path:
    """Four 20×10 images with COCO boxes; b.png's second box leaves the image; d.png is listed but missing."""
    import json

    rng = np.random.default_rng(2)
    for name in ("a", "b", "c"):
        write_image(root / "images" / f"{name}.png", noise(rng, (10, 20)))
    images = [{"id": i, "file_name": f"{name}.png", "width": 20, "height": 10} for i, name in enumerate("abcd")]
    annotations = [{"image_id": 0, "category_id": 7, "bbox": [2, 1, 10, 5]},
                   {"image_id": 1, "category_id": 9, "bbox": [0, 0, 4, 4]},
                   {"image_id": 1, "category_id": 7, "bbox": [15, 5, 10, 4]},
                   {"image_id": 2, "category_id": 9, "bbox": [5, 5, 5, 5]}]
    categories = [{"id": 7, "name": "cat"}, {"id": 9, "name": "dog"}]
    (root / "annotations.json").write_text(json.dumps({"images": images, "annotations": annotations,
                                                       "categories": categories}))
    return root
