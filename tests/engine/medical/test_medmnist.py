"""MedMNIST npz files (written here with numpy, as the medmnist package lays them out) from a data root."""
from __future__ import annotations

import numpy as np
import pytest

from engine.data import DatasetError, dataset_info, load_dataset


def write_npz(path, *, multi: bool = False, colour: bool = False, count: int = 24, classes: int = 2):
    rng = np.random.default_rng(0)
    shape = (28, 28, 3) if colour else (28, 28)
    arrays = {}
    for split, n in (("train", count), ("val", count // 2), ("test", count // 2)):
        arrays[f"{split}_images"] = rng.integers(0, 256, (n, *shape), dtype=np.uint8)
        arrays[f"{split}_labels"] = (rng.integers(0, 2, (n, 14)) if multi else
                                     (np.arange(n) % classes).reshape(n, 1)).astype(np.uint8)
    np.savez_compressed(path, **arrays)
    return path


def test_a_set_named_from_the_data_root_uses_its_labels_and_official_validation(tmp_path):
    write_npz(tmp_path / "pneumoniamnist.npz")
    info = dataset_info("medmnist:pneumoniamnist", root=tmp_path)
    assert info.class_names == ("normal", "pneumonia") and info.num_samples == 36 and info.native_size == (28, 28)
    split = load_dataset("medmnist:pneumoniamnist", (1, 28, 28), root=tmp_path)
    assert (len(split.train), len(split.val)) == (24, 12) and split.target == "label"


def test_chestmnist_is_multi_label_and_colour_sets_have_three_channels(tmp_path):
    write_npz(tmp_path / "chestmnist_64.npz", multi=True)
    split = load_dataset("medmnist:chestmnist_64", (1, 28, 28), root=tmp_path)
    assert split.target == "findings" and len(split.class_names) == 14 and split.class_names[1] == "cardiomegaly"
    write_npz(tmp_path / "bloodmnist.npz", colour=True, classes=8)
    assert dataset_info(str(tmp_path / "bloodmnist.npz")).channels == 3
    assert load_dataset(str(tmp_path / "bloodmnist.npz"), (3, 28, 28)).class_names[0] == "basophil"


def test_missing_damaged_and_foreign_npz_files_say_what_to_do(tmp_path):
    with pytest.raises(DatasetError, match="No MedMNIST file at .*dermamnist.npz.*--data-root"):
        load_dataset("medmnist:dermamnist", (1, 28, 28), root=tmp_path)
    (tmp_path / "octmnist.npz").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(DatasetError, match="damaged MedMNIST file"):
        load_dataset("medmnist:octmnist", (1, 28, 28), root=tmp_path)
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(DatasetError, match="lacks train_images"):
        load_dataset(str(tmp_path / "other.npz"), (1, 28, 28))
    np.savez(tmp_path / "pickled.npz", train_images=np.array([{"a": 1}], dtype=object), train_labels=np.zeros(1),
             val_images=np.zeros(1), val_labels=np.zeros(1))
    with pytest.raises(DatasetError, match="damaged MedMNIST file"):  # object arrays are never unpickled
        load_dataset(str(tmp_path / "pickled.npz"), (1, 28, 28))
    with pytest.raises(DatasetError, match="not a path"):
        load_dataset("medmnist:../x", (1, 28, 28), root=tmp_path)
