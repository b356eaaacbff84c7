"""COCO JSON and Pascal VOC XML box folders: boxes as fractions, and every bad entry named, skipped and counted."""
from __future__ import annotations

import json

import pytest
import torch
from PIL import Image

from engine.data import DatasetError, dataset_info, load_dataset


def _image(path, width=40, height=20):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (200, 30, 30)).save(path)


def _coco(root, images, annotations, categories=({"id": 1, "name": "cat"}, {"id": 3, "name": "dog"})):
    root.mkdir(parents=True, exist_ok=True)
    (root / "annotations.json").write_text(json.dumps(
        {"images": images, "annotations": annotations, "categories": list(categories)}))


def _all_boxes(split):
    rows = torch.cat([split.train.labels, split.val.labels])
    return rows[rows[..., 0] >= 0]


def test_a_coco_folder_gives_boxes_as_fractions_of_each_image(tmp_path):
    for name in ("a.png", "b.png", "c.png"):
        _image(tmp_path / "images" / name)
    _coco(tmp_path, [{"id": i, "file_name": n} for i, n in enumerate(("a.png", "b.png", "c.png"))],
          [{"image_id": 0, "category_id": 3, "bbox": [10, 5, 20, 10]},
           {"image_id": 1, "category_id": 1, "bbox": [0, 0, 40, 20]},
           {"image_id": 1, "category_id": 1, "bbox": [4, 2, 8, 4], "iscrowd": 1}])
    info = dataset_info(tmp_path)
    assert info.target == "boxes" and info.class_names == ("cat", "dog") and info.num_samples == 3
    split = load_dataset(tmp_path, (3, 16, 16), val_fraction=0.34)
    boxes = _all_boxes(split).tolist()
    assert sorted(boxes) == sorted([[1.0, 0.25, 0.25, 0.75, 0.75], [0.0, 0.0, 0.0, 1.0, 1.0]])
    assert len(split.train) + len(split.val) == 3  # c.png has no boxes: a background image, kept
    assert split.target == "boxes" and any("1 crowd region" in note for note in split.notes)


def test_coco_problems_are_named_skipped_and_counted(tmp_path):
    for name in ("good1.png", "good2.png", "outside.png", "unknown.png", "broken.png"):
        _image(tmp_path / "images" / name)
    (tmp_path / "images" / "broken.png").write_bytes(b"not a png")
    names = ("good1.png", "good2.png", "outside.png", "unknown.png", "broken.png", "gone.png")
    _coco(tmp_path, [{"id": i, "file_name": n} for i, n in enumerate(names)],
          [{"image_id": 0, "category_id": 1, "bbox": [1, 1, 5, 5]},
           {"image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5]},
           {"image_id": 2, "category_id": 1, "bbox": [30, 10, 20, 5]},  # reaches x = 50 in a 40-wide image
           {"image_id": 3, "category_id": 7, "bbox": [1, 1, 5, 5]},
           {"image_id": 4, "category_id": 1, "bbox": [1, 1, 5, 5]},
           {"image_id": 5, "category_id": 1, "bbox": [1, 1, 5, 5]}])
    split = load_dataset(tmp_path, (3, 16, 16), val_fraction=0.5)
    assert len(split.train) + len(split.val) == 2
    note = " ".join(split.notes)
    assert "skipped 4 problem(s) in 6 images" in note
    assert "outside.png: box 1 (30, 10, 50, 15) lies outside the 40×20 image" in note
    assert "unknown.png: box 1 has category 7, not one of the categories (1 cat, 3 dog)" in note
    assert "broken.png: not a readable image" in note and "gone.png: missing" in note


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    (json.dumps({"images": []}), "needs the lists 'images', 'annotations' and 'categories'"),
    (json.dumps({"images": [], "annotations": [], "categories": [{"name": "x"}]}), "categories[0] needs"),
])
def test_a_malformed_coco_file_is_one_clear_error(tmp_path, text, message):
    (tmp_path / "images").mkdir()
    (tmp_path / "annotations.json").write_text(text)
    with pytest.raises(DatasetError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_dataset(tmp_path, (3, 16, 16))


def _voc(root, stem, objects, filename=None, width=40, height=20):
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    parts = "".join(f"<object><name>{name}</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax>"
                    f"<ymax>{y1}</ymax></bndbox></object>" for name, x0, y0, x1, y1 in objects)
    (root / "Annotations" / f"{stem}.xml").write_text(
        f"<annotation><filename>{filename or stem + '.png'}</filename><size><width>{width}</width>"
        f"<height>{height}</height></size>{parts}</annotation>")


def test_a_voc_folder_reads_one_based_inclusive_corners(tmp_path):
    for stem in ("a", "b"):
        _image(tmp_path / "JPEGImages" / f"{stem}.png")
    _voc(tmp_path, "a", [("dog", 11, 6, 30, 15)])  # pixels 10..29 × 5..14: x 10..30, y 5..15
    _voc(tmp_path, "b", [("cat", 1, 1, 40, 20), ("dog", 1, 1, 20, 10)])
    info = dataset_info(tmp_path)
    assert info.target == "boxes" and info.class_names == ("cat", "dog")
    split = load_dataset(tmp_path, (3, 16, 16), val_fraction=0.5)
    assert sorted(_all_boxes(split).tolist()) == sorted(
        [[1.0, 0.25, 0.25, 0.75, 0.75], [0.0, 0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.5, 0.5]])


def test_voc_problems_are_named_skipped_and_counted(tmp_path):
    (tmp_path / "classes.txt").write_text("cat\ndog\n")
    for stem in ("good1", "good2", "outside", "unknown", "flat"):
        _image(tmp_path / "JPEGImages" / f"{stem}.png")
    for stem in ("good1", "good2"):
        _voc(tmp_path, stem, [("cat", 1, 1, 10, 10)])
    _voc(tmp_path, "outside", [("cat", 1, 1, 10, 10), ("dog", 5, 5, 45, 10)])
    _voc(tmp_path, "unknown", [("horse", 1, 1, 10, 10)])
    _voc(tmp_path, "flat", [("cat", 5, 5, 4, 10)])
    _voc(tmp_path, "gone", [("cat", 1, 1, 10, 10)])
    split = load_dataset(tmp_path, (3, 16, 16), val_fraction=0.5)
    assert len(split.train) + len(split.val) == 2 and split.class_names == ["cat", "dog"]
    note = " ".join(split.notes)
    assert "skipped 4 problem(s) in 6 images" in note
    assert "outside.png: box 2 (4, 4, 45, 10) lies outside the 40×20 image" in note
    assert "unknown.xml: class 'horse' is not in classes.txt" in note
    assert "flat.png: box 1 (4, 4, 4, 10) has no area" in note
    assert "gone.xml: its image JPEGImages/gone.png is missing" in note


def test_malformed_voc_files_are_skipped_and_never_expand_entities(tmp_path):
    for stem in ("good1", "good2", "broken", "bomb", "nobox"):
        _image(tmp_path / "JPEGImages" / f"{stem}.png")
        _voc(tmp_path, stem, [("cat", 1, 1, 10, 10)])
    (tmp_path / "Annotations" / "broken.xml").write_text("<annotation><object>")
    (tmp_path / "Annotations" / "bomb.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx">]><annotation>&x;</annotation>')
    (tmp_path / "Annotations" / "nobox.xml").write_text(
        "<annotation><object><name>cat</name><bndbox><xmin>a</xmin></bndbox></object></annotation>")
    split = load_dataset(tmp_path, (3, 16, 16), val_fraction=0.5)
    assert len(split.train) + len(split.val) == 2
    note = " ".join(split.notes)
    assert "skipped 3 problem(s) in 5 images" in note and "broken.xml: not well-formed XML" in note
    assert "bomb.xml: holds a DOCTYPE or entities, which VOC annotations never do (refused)" in note
    assert "nobox.xml: object 1 (cat) has no numeric bndbox xmin, ymin, xmax, ymax" in note


def test_a_box_folder_without_two_usable_images_says_what_went_wrong(tmp_path):
    _image(tmp_path / "JPEGImages" / "a.png")
    _voc(tmp_path, "a", [("cat", 1, 1, 10, 10)])
    _voc(tmp_path, "b", [("cat", 1, 1, 10, 10)])
    with pytest.raises(DatasetError, match=r"1 usable image\(s\) with boxes of 2; need at least 2\. "
                                           r"Problems: b\.xml: its image JPEGImages/b\.png is missing"):
        load_dataset(tmp_path, (3, 16, 16))
