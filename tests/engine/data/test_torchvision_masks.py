"""VOC and Oxford-IIIT Pet segmentation from a local root: small files made here, the usual messages."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from engine.data import DatasetError, dataset_info, load_dataset


def photo(path, size=(20, 16)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((np.random.default_rng(3).random((size[1], size[0], 3)) * 255).astype(np.uint8)).save(path)


def voc_root(root):
    base = root / "VOCdevkit" / "VOC2012"
    for stem in ("a", "b", "c"):
        photo(base / "JPEGImages" / f"{stem}.jpg")
        mask = np.zeros((16, 20), np.uint8)
        mask[4:12, 5:15] = 15  # a person
        mask[4, 5:15] = 255  # VOC's unlabelled border
        (base / "SegmentationClass").mkdir(parents=True, exist_ok=True)
        image = Image.fromarray(mask, mode="P")
        image.putpalette([value for index in range(256) for value in (index, 0, 255 - index)])  # VOC's have one
        image.save(base / "SegmentationClass" / f"{stem}.png")
    (base / "ImageSets" / "Segmentation").mkdir(parents=True)
    (base / "ImageSets" / "Segmentation" / "train.txt").write_text("a\nb\n")
    (base / "ImageSets" / "Segmentation" / "val.txt").write_text("c\n")
    return base


def test_voc_reads_masks_with_its_unlabelled_border(tmp_path):
    voc_root(tmp_path)
    assert dataset_info("voc").target == "mask" and len(dataset_info("voc").class_names) == 21
    data = load_dataset("voc", (3, 8, 10), root=tmp_path)
    assert (len(data.train), len(data.val)) == (2, 1) and data.class_names[15] == "person"
    _, masks = next(data.train.iter_batches(2))
    assert masks.shape == (2, 8, 10) and set(masks.unique().tolist()) <= {0, 15, 255} and (masks == 15).any()


def test_pets_trimaps_become_background_pet_and_unlabelled(tmp_path):
    base = tmp_path / "oxford-iiit-pet"
    for stem in ("Abyssinian_1", "Abyssinian_2", "beagle_1"):
        photo(base / "images" / f"{stem}.jpg")
        trimap = np.full((16, 20), 2, np.uint8)
        trimap[3:13, 3:17] = 3
        trimap[4:12, 4:16] = 1
        (base / "annotations" / "trimaps").mkdir(parents=True, exist_ok=True)
        Image.fromarray(trimap).save(base / "annotations" / "trimaps" / f"{stem}.png")
    (base / "annotations" / "trainval.txt").write_text("Abyssinian_1 1 1 1\nAbyssinian_2 1 1 1\n")
    (base / "annotations" / "test.txt").write_text("beagle_1 2 2 1\n")
    data = load_dataset("pets", (3, 16, 20), root=tmp_path)
    assert data.class_names == ["background", "pet"] and (len(data.train), len(data.val)) == (2, 1)
    _, masks = next(data.val.iter_batches(1))
    assert set(masks.unique().tolist()) == {0, 1, 255}


def test_missing_and_damaged_sets_get_the_torchvision_messages(tmp_path):
    with pytest.raises(DatasetError, match="Pascal VOC 2012 segmentation was not found in .*VOCdevkit/VOC2012.*"
                                           "--download"):
        load_dataset("voc", (3, 8, 8), root=tmp_path)
    base = voc_root(tmp_path)
    (base / "SegmentationClass" / "b.png").write_bytes(b"broken")
    with pytest.raises(DatasetError, match="files in .*VOC2012 are unreadable or damaged"):
        load_dataset("voc", (3, 8, 8), root=tmp_path)
