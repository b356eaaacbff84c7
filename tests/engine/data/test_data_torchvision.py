"""MNIST, Fashion-MNIST and CIFAR-10 read by torchvision from a local root.

MNIST-format files are small enough to write here in torchvision's raw
layout. CIFAR-10 cannot be faked: torchvision checks the md5 of each batch
file, so only its error paths are tested, plus a real load when a real copy
is present in the data root.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from engine.data import DatasetError, dataset_info, default_data_root, download_torchvision_set, load_dataset


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_mnist_format_sets_load_from_raw_idx_files(tmp_path: Path, mnist_layout, name: str, folder: str):
    mnist_layout(tmp_path, folder, train=60, test=20)
    split = load_dataset(name, (1, 28, 28), root=tmp_path)
    assert len(split.train) == 60 and len(split.val) == 20  # the official test part validates
    assert split.num_classes == 10
    assert "official" in split.source and str(tmp_path / folder) in split.source
    assert torch.bincount(split.val.labels).tolist() == [2] * 10
    # the bright column of each image sits where its label says
    column = split.train.images[:, 0, 10].argmax(dim=1)
    assert torch.equal(column, 2 + 2 * split.train.labels)


def test_mnist_adapts_to_colour_and_another_size(mnist_root: Path):
    split = load_dataset("mnist", (3, 32, 32), root=str(mnist_root))
    assert split.train.images.shape == (60, 3, 32, 32)
    assert len(split.mean) == 3 and split.suggested_augment.flip is False


def test_mnist_missing_files_are_listed_with_the_folder(tmp_path: Path, mnist_layout):
    mnist_layout(tmp_path, parts=("train",))
    with pytest.raises(DatasetError) as error:
        load_dataset("mnist", (1, 28, 28), root=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "t10k-images-idx3-ubyte" in message and "--download" in message


def test_damaged_mnist_files_are_reported_as_such(tmp_path: Path, mnist_layout):
    raw = mnist_layout(tmp_path)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03garbage")
    with pytest.raises(DatasetError, match="unreadable or damaged") as error:
        load_dataset("mnist", (1, 28, 28), root=tmp_path)
    assert str(raw) in str(error.value)


def test_missing_cifar10_names_the_folder_and_download(tmp_path: Path):
    with pytest.raises(DatasetError) as error:
        load_dataset("cifar10", (3, 32, 32), root=tmp_path)
    message = str(error.value)
    assert str(tmp_path / "cifar-10-batches-py") in message and "--download" in message


def test_cifar10_files_that_fail_the_checksum_are_reported_as_damaged(tmp_path: Path):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
    for name in names:
        (folder / name).write_bytes(pickle.dumps({"data": [], "labels": []}))
    with pytest.raises(DatasetError, match="unreadable or damaged") as error:
        load_dataset("cifar10", (3, 32, 32), root=tmp_path)
    assert str(folder) in str(error.value)


def test_data_root_defaults_to_the_environment_variable(tmp_path: Path, mnist_layout, monkeypatch):
    monkeypatch.setenv("CONVCANVAS_DATA", str(tmp_path))
    assert default_data_root() == tmp_path
    mnist_layout(tmp_path)
    assert len(load_dataset("mnist", (1, 28, 28)).train) == 60
    monkeypatch.delenv("CONVCANVAS_DATA")
    assert default_data_root() == Path("~/.cache/convcanvas/datasets").expanduser()


def test_info_of_torchvision_sets_needs_no_files(tmp_path: Path):
    info = dataset_info("cifar10", root=tmp_path)
    assert info.channels == 3 and info.native_size == (32, 32) and info.num_classes == 10
    assert info.num_samples == 60_000
    assert dataset_info("fashion-mnist").class_names[0] == "T-shirt/top"


def test_real_cifar10_when_a_copy_is_present():
    if not (default_data_root() / "cifar-10-batches-py" / "batches.meta").is_file():
        pytest.skip(f"no CIFAR-10 under {default_data_root()}")
    split = load_dataset("cifar10", (3, 32, 32))
    assert len(split.train) == 50_000 and len(split.val) == 10_000
    assert split.class_names[0] == "airplane" and split.suggested_augment.flip


def test_download_keeps_a_set_that_is_already_there(tmp_path: Path, mnist_layout):
    mnist_layout(tmp_path, "MNIST", train=10, test=10)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "MNIST" / "raw").iterdir()}
    assert download_torchvision_set("mnist", tmp_path) == tmp_path / "MNIST" / "raw"
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "MNIST" / "raw").iterdir()} == before
