"""Image folders: one sub-folder per class, real image files of mixed kinds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from PIL import Image

from engine.data import DatasetError, StreamData, TensorData, dataset_info, load_dataset, preprocess_images


def test_mixed_images_load_and_junk_is_skipped_or_ignored_with_notes(image_folder: Path):
    split = load_dataset(str(image_folder), (3, 16, 16), val_fraction=0.3)
    assert split.class_names == ["cats", "dogs"]
    assert isinstance(split.train, TensorData)
    # cats: rgba, palette, jpg, 3 plain, nested green (7 readable); dogs: 6 grey
    assert len(split.train) + len(split.val) == 13
    assert torch.bincount(torch.cat([split.train.labels, split.val.labels])).tolist() == [7, 6]
    assert split.train.images.shape[1:] == (3, 16, 16)
    notes = " ".join(split.notes)
    assert "skipped 1 unreadable" in notes and "cats/x.png" in notes
    assert "readme.txt" in notes and ".DS_Store" not in notes
    assert str(image_folder) in split.source
    assert split.suggested_augment.flip is False


def test_folder_images_adapt_to_grey(image_folder: Path):
    split = load_dataset(image_folder, (1, 10, 12))
    assert split.val.images.shape[1:] == (1, 10, 12) and len(split.mean) == 1


def test_a_decodable_header_with_truncated_data_is_skipped(image_folder: Path):
    good = (image_folder / "dogs" / "grey0.png").read_bytes()
    (image_folder / "dogs" / "cut.png").write_bytes(good[: len(good) // 2])
    Image.new("L", (300, 300), 7).save(image_folder / "dogs" / "big.png")
    big = (image_folder / "dogs" / "big.png").read_bytes()
    (image_folder / "dogs" / "big.png").write_bytes(big[:60])  # header intact, pixels gone
    split = load_dataset(image_folder, (3, 8, 8))
    notes = " ".join(split.notes)
    assert "dogs/big.png" in notes
    assert len(split.train) + len(split.val) <= 14


def test_preprocess_images_gives_the_same_tensor_as_training_for_a_file(image_folder: Path):
    split = load_dataset(image_folder, (3, 16, 16), seed=3)
    with Image.open(image_folder / "cats" / "rgba.png") as image:
        mine = preprocess_images(image, split.input_shape, split.mean, split.std)
    everything = torch.cat([split.train.images, split.val.images])
    distance = (everything - mine).flatten(1).abs().max(dim=1).values
    assert float(distance.min()) < 1e-5


def test_large_folders_stream_through_workers(image_folder: Path):
    split = load_dataset(image_folder, (3, 16, 16), max_in_memory_bytes=1000)
    assert isinstance(split.train, StreamData) and isinstance(split.val, StreamData)
    assert any("streamed" in note for note in split.notes)
    seen = [int(v) for _, y in split.train.iter_batches(4, shuffle=True, generator=torch.Generator()) for v in y]
    assert len(seen) == len(split.train) and len(split.train) + len(split.val) == 13
    x, _ = next(split.val.iter_batches(2))
    assert x.shape == (2, 3, 16, 16)
    split.train.close()
    split.val.close()


def test_missing_folder_names_the_path(tmp_path: Path):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError, match="does not exist") as error:
        load_dataset(str(missing), (3, 8, 8))
    assert str(missing) in str(error.value) and "sub-folder per class" in str(error.value)


def test_empty_folder_names_the_path_and_the_layout(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="is empty") as error:
        load_dataset(str(tmp_path / "empty"), (3, 8, 8))
    assert str(tmp_path / "empty") in str(error.value)


def test_class_folders_without_images_are_an_error(tmp_path: Path):
    (tmp_path / "a" / "cats").mkdir(parents=True)
    (tmp_path / "a" / "dogs").mkdir()
    (tmp_path / "a" / "dogs" / "notes.txt").write_text("x")
    with pytest.raises(DatasetError, match="No images found") as error:
        load_dataset(str(tmp_path / "a"), (3, 8, 8))
    assert str(tmp_path / "a") in str(error.value)


def test_single_class_folder_is_an_error(tmp_path: Path):
    for i in range(3):
        (tmp_path / "one" / "cats").mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "one" / "cats" / f"{i}.png")
    with pytest.raises(DatasetError, match="only one class") as error:
        load_dataset(str(tmp_path / "one"), (3, 8, 8))
    assert str(tmp_path / "one") in str(error.value)
    with pytest.raises(DatasetError, match="only one class"):
        dataset_info(str(tmp_path / "one"))


def test_images_not_sorted_into_class_folders_are_an_error(tmp_path: Path):
    (tmp_path / "loose").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "loose" / "a.png")
    with pytest.raises(DatasetError, match="one sub-folder per class") as error:
        load_dataset(str(tmp_path / "loose"), (3, 8, 8))
    assert str(tmp_path / "loose") in str(error.value)


def test_folder_of_unreadable_images_is_an_error(tmp_path: Path):
    for cls in ("a", "b"):
        (tmp_path / "bad" / cls).mkdir(parents=True)
        (tmp_path / "bad" / cls / "1.png").write_bytes(b"not a png at all")
    with pytest.raises(DatasetError, match="could be read") as error:
        load_dataset(str(tmp_path / "bad"), (3, 8, 8))
    assert str(tmp_path / "bad") in str(error.value)


def test_info_counts_files_and_reads_only_headers(image_folder: Path):
    info = dataset_info(str(image_folder))
    assert info.class_names == ("cats", "dogs")
    assert info.num_samples == 14  # x.png counts: it is not opened for the count
    assert info.channels == 3 and info.native_size is None


def test_info_counts_images_per_class_without_decoding(tmp_path: Path):
    # Neither file is a real image: counting must go by file name, not by decoding.
    for name, count in (("cats", 3), ("dogs", 2)):
        (tmp_path / "pets" / name).mkdir(parents=True)
        for index in range(count):
            (tmp_path / "pets" / name / f"{index}.png").write_bytes(b"not decoded")
    (tmp_path / "pets" / "dogs" / "notes.txt").write_text("ignored")
    info = dataset_info(str(tmp_path / "pets"))
    assert info.class_names == ("cats", "dogs")
    assert info.class_counts == (3, 2)


def test_named_sets_report_class_counts_when_cheaply_known():
    shapes = dataset_info("shapes:12")
    assert shapes.class_counts == (3, 3, 2, 2, 2)
    assert sum(dataset_info("digits").class_counts) == dataset_info("digits").num_samples
    assert dataset_info("mnist").class_counts is None  # would need the label files
