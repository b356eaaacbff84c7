"""Image + mask folders: index and colour masks, and every bad pair named, skipped and counted."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.data import DatasetError, dataset_info, load_dataset


def write_pair(root, stem, mask: np.ndarray, colour_table=None, image_size=None):
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "masks").mkdir(exist_ok=True)
    height, width = image_size or mask.shape
    pixels = (np.random.default_rng(len(stem)).random((height, width, 3)) * 255).astype(np.uint8)
    Image.fromarray(pixels).save(root / "images" / f"{stem}.jpg")
    if colour_table is None:
        Image.fromarray(mask.astype(np.uint8), mode="L").save(root / "masks" / f"{stem}.png")
    else:
        Image.fromarray(np.asarray(colour_table, dtype=np.uint8)[mask]).save(root / "masks" / f"{stem}.png")


def quarters(size: int = 12, classes: int = 3) -> np.ndarray:
    mask = np.zeros((size, size), dtype=np.int64)
    mask[size // 2:, :] = 1
    mask[:, size // 2:] = classes - 1
    return mask


def test_index_masks_load_with_classes_from_the_values(tmp_path):
    for index in range(5):
        write_pair(tmp_path, f"img{index}", quarters())
    info = dataset_info(tmp_path)
    assert info.target == "mask" and info.class_names == ("class 0", "class 1", "class 2")
    data = load_dataset(tmp_path, (3, 24, 24), val_fraction=0.2)
    assert data.target == "mask" and (len(data.train), len(data.val)) == (4, 1)
    _, masks = next(data.train.iter_batches(4))
    assert masks.shape == (4, 24, 24) and set(masks.unique().tolist()) == {0, 1, 2}


def test_colour_masks_use_the_class_table(tmp_path):
    colours = [(0, 0, 0), (255, 0, 0), (0, 128, 255)]
    (tmp_path / "classes.txt").write_text("# name and colour\nsky 0 0 0\nroad #ff0000\ncar 0 128 255\n")
    for index in range(4):
        write_pair(tmp_path, f"c{index}", quarters(), colour_table=colours)
    data = load_dataset(tmp_path, (3, 12, 12))
    assert data.class_names == ["sky", "road", "car"]
    _, masks = next(data.train.iter_batches(8))
    assert set(masks.unique().tolist()) == {0, 1, 2}


def test_bad_pairs_are_named_skipped_and_counted(tmp_path):
    colours = [(0, 0, 0), (255, 0, 0), (0, 128, 255)]
    (tmp_path / "classes.txt").write_text("sky 0 0 0\nroad 255 0 0\ncar 0 128 255\n")
    for index in range(3):
        write_pair(tmp_path, f"good{index}", quarters(), colour_table=colours)
    write_pair(tmp_path, "sized", quarters(), colour_table=colours, image_size=(10, 12))
    write_pair(tmp_path, "odd", quarters(), colour_table=[(0, 0, 0), (255, 0, 0), (9, 9, 9)])
    Image.fromarray(np.zeros((12, 12, 3), np.uint8)).save(tmp_path / "images" / "lonely.png")
    (tmp_path / "images" / "broken.png").write_bytes(b"not an image")
    (tmp_path / "masks" / "broken.png").write_bytes(b"not an image either")
    data = load_dataset(tmp_path, (3, 12, 12))
    (note,) = [note for note in data.notes if note.startswith("skipped")]
    assert note.startswith("skipped 4 of 7 images")
    assert "lonely.png: no mask" in note and "mask 12×12 but image 10×12" in note
    assert "colour (9, 9, 9) is not in classes.txt" in note and "broken.png: not a readable image" in note
    assert len(data.train) + len(data.val) == 3


def test_a_bad_class_table_and_too_few_pairs_are_one_clear_error(tmp_path):
    write_pair(tmp_path, "only", quarters())
    with pytest.raises(DatasetError, match="1 usable image\\+mask pair\\(s\\) of 1 images; need at least 2"):
        load_dataset(tmp_path, (3, 12, 12))
    (tmp_path / "classes.txt").write_text("sky 0 0\nroad 1 1 1\n")
    with pytest.raises(DatasetError, match="line 1: 'sky 0 0' is not 'name R G B'"):
        load_dataset(tmp_path, (3, 12, 12))


def test_a_class_table_that_is_a_folder_is_refused_not_read(tmp_path):
    for index in range(3):
        write_pair(tmp_path, f"img{index}", quarters())
    (tmp_path / "classes.txt").mkdir()
    with pytest.raises(DatasetError, match="classes.txt: cannot be read"):
        load_dataset(tmp_path, (3, 12, 12))
