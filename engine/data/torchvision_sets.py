"""MNIST, Fashion-MNIST and CIFAR-10 through torchvision.datasets.

torchvision finds, downloads, checks and reads the files; this module takes
the raw tensors straight from the dataset objects (`.data`, `.targets`), so
no image ever goes through PIL, and turns torchvision's terse errors into a
`DatasetError` naming the dataset, the folder and the fix.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .assemble import LabelledImages
from .data_root import default_data_root
from .datasplit import DatasetInfo
from .errors import DatasetError

_MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

#: what torchvision may raise on missing, damaged or undownloadable files
_LOAD_ERRORS = (
    RuntimeError,
    OSError,
    EOFError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AssertionError,
    pickle.UnpicklingError,
)


@dataclass(frozen=True)
class TorchvisionSet:
    name: str  # the spec name, e.g. "fashion-mnist"
    title: str  # for messages, e.g. "Fashion-MNIST"
    dataset_class: str  # attribute of torchvision.datasets
    folder: str  # where the files live, relative to the data root
    files: tuple[str, ...]  # the files torchvision reads from `folder`
    channels: int
    size: tuple[int, int]
    train_count: int
    test_count: int
    class_names: tuple[str, ...]
    download_size: str
    flip_safe: bool  # whether mirrored images are still valid examples

    def location(self, root: Path) -> Path:
        return root / self.folder


SETS: dict[str, TorchvisionSet] = {
    s.name: s
    for s in (
        TorchvisionSet(
            "mnist", "MNIST", "MNIST", "MNIST/raw", _MNIST_FILES, 1, (28, 28), 60_000, 10_000,
            ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
             "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"),
            "about 12 MB", flip_safe=False,
        ),
        TorchvisionSet(
            "fashion-mnist", "Fashion-MNIST", "FashionMNIST", "FashionMNIST/raw", _MNIST_FILES, 1, (28, 28),
            60_000, 10_000,
            ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
             "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
            "about 30 MB", flip_safe=True,
        ),
        TorchvisionSet(
            "cifar10", "CIFAR-10", "CIFAR10", "cifar-10-batches-py",
            tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta"),
            3, (32, 32), 50_000, 10_000,
            ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"),
            "about 170 MB", flip_safe=True,
        ),
    )
}


def _missing_files(spec: TorchvisionSet, root: Path) -> list[str]:
    folder = spec.location(root)
    return [name for name in spec.files if not (folder / name).is_file()]


def _explain(spec: TorchvisionSet, root: Path, download: bool, error: Exception) -> DatasetError:
    folder = spec.location(root)
    missing = _missing_files(spec, root)
    layout = ", ".join(spec.files)
    if download and missing:
        return DatasetError(
            f"Could not download {spec.title} into {folder} ({error}). Check the internet connection "
            f"and try again, or put the files of the torchvision layout under {folder} ({layout})."
        )
    if missing:
        what = "" if len(missing) == len(spec.files) else f" (missing: {', '.join(missing)})"
        return DatasetError(
            f"{spec.title} was not found in {folder}{what}. Run with --download to fetch it "
            f"({spec.download_size}), or put the files of the torchvision layout under {folder} ({layout})."
        )
    return DatasetError(
        f"The {spec.title} files in {folder} are unreadable or damaged ({error}). Delete the folder "
        "and run with --download to fetch them again, or replace them with intact copies."
    )


def _labelled(dataset) -> LabelledImages:
    """`.data` ((N, H, W) tensor or (N, H, W, C) array, uint8) -> (N, C, H, W)."""
    data = dataset.data
    images = torch.from_numpy(np.ascontiguousarray(data)) if isinstance(data, np.ndarray) else data
    if images.dim() == 3:
        images = images.unsqueeze(1)
    else:
        images = images.permute(0, 3, 1, 2).contiguous()
    labels = torch.as_tensor(dataset.targets, dtype=torch.int64)
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{images.shape[0]} images but {labels.shape[0]} labels")
    return LabelledImages(images, labels)


def _resolve_root(root: str | os.PathLike | None) -> Path:
    return (Path(root).expanduser() if root is not None else default_data_root()).resolve()


def download_torchvision_set(name: str, root: str | os.PathLike | None = None) -> Path:
    """Fetch both splits of one of `SETS` into `root` (files already there are kept); its folder.

    Blocks for the whole download: call it off the GUI thread.
    """
    import torchvision.datasets  # imported late: only these sets need it

    spec = SETS[name]
    root_path = _resolve_root(root)
    dataset_class = getattr(torchvision.datasets, spec.dataset_class)
    try:
        for train in (True, False):
            dataset_class(str(root_path), train=train, download=True)
    except _LOAD_ERRORS as error:
        raise _explain(spec, root_path, True, error) from error
    return spec.location(root_path)


def load_torchvision_set(
    name: str, root: str | os.PathLike | None = None, download: bool = False
) -> tuple[LabelledImages, LabelledImages, list[str], str]:
    """(train, test, class names, description) of one of `SETS`.

    The official test split is returned as the second part; the caller uses
    it for validation.
    """
    import torchvision.datasets  # imported late: only these sets need it

    spec = SETS[name]
    root_path = _resolve_root(root)
    dataset_class = getattr(torchvision.datasets, spec.dataset_class)
    try:
        train_set = dataset_class(str(root_path), train=True, download=download)
        test_set = dataset_class(str(root_path), train=False, download=False)
        train, test = _labelled(train_set), _labelled(test_set)
        class_names = [str(c) for c in train_set.classes]
    except _LOAD_ERRORS as error:
        raise _explain(spec, root_path, download, error) from error
    description = (
        f"{spec.title} (torchvision, {spec.location(root_path)}; official split: "
        f"{len(train):,} training images, the {len(test):,} test images used for validation)"
    )
    return train, test, class_names, description


def torchvision_info(name: str) -> DatasetInfo:
    """Facts about a torchvision set, from constants: no file is touched."""
    spec = SETS[name]
    return DatasetInfo(
        name=spec.name,
        class_names=spec.class_names,
        channels=spec.channels,
        native_size=spec.size,
        num_samples=spec.train_count + spec.test_count,
        description=f"{spec.title} (torchvision, {spec.train_count:,} + {spec.test_count:,} test images)",
    )
