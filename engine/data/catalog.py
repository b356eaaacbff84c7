"""Dataset specs ("digits", "shapes:5000", "mnist", a folder path) -> data.

The two entry points of the datasets layer live here: `load_dataset` builds
the train/validation split the trainer consumes, `dataset_info` answers
cheaply what a dataset holds.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .adapt import check_input_shape
from .assemble import (
    DEFAULT_MAX_IN_MEMORY_BYTES,
    LabelledImages,
    adapted_bytes,
    build_split,
    format_bytes,
    split_by_fraction,
)
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .digits import digits_info, load_digits
from .drawn_once import drawn
from .errors import DatasetError
from .identities import IDENTITY_DATASET_NAMES, identity_folder_info, lfw_info, load_face_shapes, load_identity_folder
from .identities import load_lfw, parse_face_count
from .face_shapes import DEFAULT_COUNT as FACE_SHAPES_DEFAULT_COUNT
from .face_shapes import face_shapes_info
from .image_folder import image_folder_info, load_image_folder
from .shapes import CLASS_NAMES as SHAPE_CLASSES
from .shapes import DEFAULT_COUNT as SHAPES_DEFAULT_COUNT
from .shapes import MAX_COUNT as SHAPES_MAX_COUNT
from .box_folder import box_folder_format, box_folder_info, load_box_folder
from .box_split import build_box_split, split_boxed
from .det_shapes import CLASS_NAMES as DET_SHAPE_CLASSES
from .det_shapes import DEFAULT_COUNT as DET_SHAPES_DEFAULT_COUNT
from .det_shapes import MAX_COUNT as DET_SHAPES_MAX_COUNT
from .det_shapes import det_shapes_info, generate_det_shapes
from .mask_folder import is_mask_folder, load_mask_folder, mask_folder_info
from .mask_split import MaskedImages, build_mask_split, random_split
from .seg_shapes import CLASS_NAMES as SEG_SHAPE_CLASSES
from .seg_shapes import DEFAULT_COUNT as SEG_SHAPES_DEFAULT_COUNT
from .seg_shapes import MAX_COUNT as SEG_SHAPES_MAX_COUNT
from .seg_shapes import generate_seg_shapes, seg_shapes_info
from .shapes import generate_shapes, shapes_info
from .stratify import check_val_fraction
from .torchvision_masks import MASK_SETS, load_torchvision_masks, torchvision_masks_info
from .torchvision_sets import SETS as TORCHVISION_SETS
from .torchvision_sets import load_torchvision_set, torchvision_info
from .windowing import Window
from .findings_csv import findings_csv_info, load_findings_csv
from .medmnist import is_medmnist_spec, load_medmnist, medmnist_info

#: the named classification datasets, in the order a user interface should offer them
DATASET_NAMES = ("digits", "shapes", "mnist", "fashion-mnist", "cifar10")
#: the named segmentation datasets (masks as targets; engine.tasks.segmentation)
SEGMENTATION_DATASET_NAMES = ("seg-shapes", "voc", "pets")
#: the named detection datasets (boxes as targets; engine.tasks.detection)
DETECTION_DATASET_NAMES = ("det-shapes",)
_ALIASES = {
    "fashion_mnist": "fashion-mnist",
    "fashionmnist": "fashion-mnist",
    "cifar-10": "cifar10",
    "cifar_10": "cifar10",
    "seg_shapes": "seg-shapes",
    "segshapes": "seg-shapes",
    "det_shapes": "det-shapes",
    "face_shapes": "face-shapes",
    "faceshapes": "face-shapes",
    "detshapes": "det-shapes",
    "vocsegmentation": "voc",
    "oxfordiiitpet": "pets",
    "oxford-iiit-pet": "pets",
}
_FOLDER = "folder"
MEDMNIST = "medmnist"
FINDINGS_CSV = "findings-csv"


@dataclass(frozen=True)
class DatasetSpec:
    """A parsed spec: a named dataset (with its option) or an image folder."""

    kind: str  # one of DATASET_NAMES, SEGMENTATION_DATASET_NAMES, IDENTITY_DATASET_NAMES…, or "folder"
    path: Path | None = None  # for "folder"
    count: int | None = None  # for "shapes"
    option: str = ""  # for "medmnist": the spec as given (medmnist:FLAG or a .npz path)


def _looks_like_path(text: str) -> bool:
    """A spec with a separator or a leading . or ~ is a path even if it ends in a dataset name."""
    return "/" in text or os.sep in text or text.startswith((".", "~"))


def parse_spec(spec: str | os.PathLike) -> DatasetSpec:
    """Understand a dataset spec; raise DatasetError for one that names nothing usable."""
    if isinstance(spec, os.PathLike):
        path = Path(spec)
        if path.suffix.lower() == ".npz":
            return DatasetSpec(MEDMNIST, option=str(path))
        return DatasetSpec(FINDINGS_CSV if path.suffix.lower() == ".csv" else _FOLDER, path)
    text = str(spec).strip()
    if not text:
        raise DatasetError(f"No dataset given: name one of {', '.join(DATASET_NAMES)} or an image folder.")
    if is_medmnist_spec(text):
        return DatasetSpec(MEDMNIST, option=text)
    if text.lower().endswith(".csv"):
        return DatasetSpec(FINDINGS_CSV, Path(text).expanduser())
    name, _, option = text.partition(":")
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    if name in (*DATASET_NAMES, *SEGMENTATION_DATASET_NAMES, *DETECTION_DATASET_NAMES,
                *IDENTITY_DATASET_NAMES) and not _looks_like_path(text):
        if name == "face-shapes":
            return DatasetSpec(name, count=parse_face_count(option) if option else FACE_SHAPES_DEFAULT_COUNT)
        if name == "shapes":
            return DatasetSpec(name, count=_shapes_count(option) if option else SHAPES_DEFAULT_COUNT)
        if name == "seg-shapes":
            return DatasetSpec(name, count=_shapes_count(option, name, SEG_SHAPES_MAX_COUNT, 2)
                               if option else SEG_SHAPES_DEFAULT_COUNT)
        if name == "det-shapes":
            return DatasetSpec(name, count=_shapes_count(option, name, DET_SHAPES_MAX_COUNT, 2)
                               if option else DET_SHAPES_DEFAULT_COUNT)
        if option:
            raise DatasetError(f"The dataset {name!r} takes no option, but got {text!r}; write just {name!r}.")
        return DatasetSpec(name)
    path = Path(text).expanduser()
    if not path.exists() and not _looks_like_path(text):
        raise DatasetError(
            f"Unknown dataset {text!r}: use one of {', '.join(DATASET_NAMES)} "
            f"(e.g. 'shapes:5000'), or the path of an image folder (there is no folder {path.resolve()})."
        )
    return DatasetSpec(_FOLDER, path)


def _shapes_count(option: str, name: str = "shapes", maximum: int = SHAPES_MAX_COUNT,
                  minimum: int = 2 * len(SHAPE_CLASSES)) -> int:
    try:
        count = int(option.strip().replace("_", "").replace(",", ""))
    except ValueError:
        count = -1
    if not minimum <= count <= maximum:
        raise DatasetError(
            f"'{name}:{option}' asks for an impossible number of images: give a whole number from "
            f"{minimum} to {maximum:,}, e.g. '{name}:{min(5000, maximum)}'."
        )
    return count


def load_dataset(
    spec: str | os.PathLike,
    input_shape: Sequence[int],
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    download: bool = False,
    max_in_memory_bytes: int = DEFAULT_MAX_IN_MEMORY_BYTES,
    window: Window | None = None,
    exclude: Sequence[str] = (),
    target: str | None = None,
) -> DataSplit:
    """Load a dataset adapted to the Input node's `input_shape` (C, H, W).

    `spec`: "digits", "shapes" or "shapes:<count>", "mnist", "fashion-mnist",
    "cifar10", or the path of an image folder (one sub-folder per class).
    `val_fraction` (0 < f <= 0.9) of each class is held out for validation,
    chosen by `seed`, except for the torchvision sets, whose official test
    split is the validation set. `seed` also generates the Shapes images.
    `root` is where torchvision sets are looked for (default
    $CONVCANVAS_DATA or ~/.cache/convcanvas/datasets); `download` lets
    torchvision fetch a missing set there. Sets whose adapted images exceed
    `max_in_memory_bytes` are streamed (StreamData) instead of held as
    tensors (TensorData). `exclude` names files of a folder (relative to it)
    that are left out of training (the project's exclusion list).

    `window` (the Input's window/level) maps the values of DICOM, NIfTI and
    16-bit images to 0..1 (None: each file's own window).

    `target="identity"` (the embedding task) reads a folder as one sub-folder per identity, split by
    identity (engine.data.identities).

    Raises DatasetError with a message fit to show the user.
    """
    split = _load_dataset(spec, input_shape, val_fraction=val_fraction, seed=seed, root=root, download=download,
                          max_in_memory_bytes=max_in_memory_bytes, window=window, exclude=exclude, target=target)
    split.window = window
    return split


def _load_dataset(spec, input_shape, *, val_fraction, seed, root, download, max_in_memory_bytes,
                  window, exclude, target) -> DataSplit:
    shape = check_input_shape(input_shape)
    check_val_fraction(val_fraction)
    parsed = parse_spec(spec)

    if parsed.kind == MEDMNIST:
        return load_medmnist(parsed.option, shape, root=root, max_in_memory_bytes=max_in_memory_bytes, seed=seed)
    if parsed.kind == FINDINGS_CSV:
        assert parsed.path is not None
        return load_findings_csv(parsed.path, shape, val_fraction=val_fraction, seed=seed, window=window)
    if parsed.kind == _FOLDER and parsed.path is not None and target == "identity":
        return load_identity_folder(parsed.path, shape, val_fraction, seed, max_in_memory_bytes)
    if parsed.kind == "face-shapes":
        return load_face_shapes(parsed.count or FACE_SHAPES_DEFAULT_COUNT, shape, val_fraction, seed,
                                max_in_memory_bytes)
    if parsed.kind == "lfw":
        return load_lfw(shape, root, download, val_fraction, seed, max_in_memory_bytes)

    if parsed.kind == _FOLDER and parsed.path is not None and box_folder_format(parsed.path):
        return load_box_folder(parsed.path, shape, val_fraction=val_fraction, seed=seed)
    if parsed.kind == _FOLDER and parsed.path is not None and is_mask_folder(parsed.path):
        return load_mask_folder(parsed.path, shape, val_fraction=val_fraction, seed=seed, window=window,
                                exclude=exclude)
    if parsed.kind == _FOLDER:
        assert parsed.path is not None
        return load_image_folder(
            parsed.path, shape, val_fraction=val_fraction, seed=seed, max_in_memory_bytes=max_in_memory_bytes,
            window=window, exclude=exclude)

    if parsed.kind == "seg-shapes":
        return _seg_shapes_split(parsed.count or SEG_SHAPES_DEFAULT_COUNT, shape, val_fraction, seed,
                                 max_in_memory_bytes)
    if parsed.kind == "det-shapes":
        return _det_shapes_split(parsed.count or DET_SHAPES_DEFAULT_COUNT, shape, val_fraction, seed,
                                 max_in_memory_bytes)
    if parsed.kind in MASK_SETS:
        train_masks, val_masks, class_names, source = load_torchvision_masks(parsed.kind, shape, root, download)
        return build_mask_split(train_masks, val_masks, input_shape=shape, class_names=class_names, source=source,
                                suggested_augment=Augment(flip=True))
    if parsed.kind == "digits":
        data, class_names = load_digits()
        train, val = split_by_fraction(data, val_fraction, seed)
        source = f"digits (bundled, {len(data):,} images)"
        augment = Augment(flip=False)
    elif parsed.kind == "shapes":
        count = parsed.count or SHAPES_DEFAULT_COUNT
        train, val = _generate_shapes_split(count, shape, val_fraction, seed, max_in_memory_bytes)
        class_names = list(SHAPE_CLASSES)
        source = (
            f"shapes (generated, {count:,} images of {len(SHAPE_CLASSES)} classes "
            f"at {shape[1]}×{shape[2]}, seed {seed})"
        )
        augment = Augment(flip=True)
    else:
        train, val, class_names, source = load_torchvision_set(parsed.kind, root, download)
        augment = Augment(flip=TORCHVISION_SETS[parsed.kind].flip_safe)
    return build_split(
        train,
        val,
        input_shape=shape,
        class_names=class_names,
        source=source,
        seed=seed,
        max_in_memory_bytes=max_in_memory_bytes,
        suggested_augment=augment,
    )


def _generate_shapes_split(
    count: int, shape: tuple[int, int, int], val_fraction: float, seed: int, max_in_memory_bytes: int
) -> tuple[LabelledImages, LabelledImages]:
    """Shapes are drawn at the Input size, so they must fit in memory (no streaming)."""
    needed = adapted_bytes(count, (3,) + shape[1:])
    if needed > max_in_memory_bytes:
        raise DatasetError(
            f"{count:,} Shapes images of {shape[1]}×{shape[2]} would take {format_bytes(needed)} of memory, "
            f"over the limit of {format_bytes(max_in_memory_bytes)}. Ask for fewer images "
            "(e.g. 'shapes:1000') or a smaller Input size."
        )
    images, labels = drawn(generate_shapes, count, (shape[1], shape[2]), seed)
    return split_by_fraction(LabelledImages(images, labels), val_fraction, seed)


def _seg_shapes_split(count: int, shape: tuple[int, int, int], val_fraction: float, seed: int,
                      max_in_memory_bytes: int) -> DataSplit:
    needed = adapted_bytes(count, (4,) + shape[1:]) * 2  # images and int64 masks
    if needed > max_in_memory_bytes:
        raise DatasetError(
            f"{count:,} seg-shapes images of {shape[1]}×{shape[2]} would take {format_bytes(needed)} of memory, "
            f"over the limit of {format_bytes(max_in_memory_bytes)}. Ask for fewer images "
            "(e.g. 'seg-shapes:500') or a smaller Input size.")
    images, masks = drawn(generate_seg_shapes, count, (shape[1], shape[2]), seed)
    train, val = random_split(MaskedImages(images, masks), val_fraction, seed)
    source = (f"seg-shapes (generated, {count:,} images with masks of {len(SEG_SHAPE_CLASSES)} classes "
              f"at {shape[1]}×{shape[2]}, seed {seed})")
    return build_mask_split(train, val, input_shape=shape, class_names=SEG_SHAPE_CLASSES, source=source,
                            suggested_augment=Augment(flip=True))


def _det_shapes_split(count: int, shape: tuple[int, int, int], val_fraction: float, seed: int,
                      max_in_memory_bytes: int) -> DataSplit:
    needed = adapted_bytes(count, (3,) + shape[1:]) * 2  # the drawn images and their adapted copies
    if needed > max_in_memory_bytes:
        raise DatasetError(
            f"{count:,} det-shapes images of {shape[1]}×{shape[2]} would take {format_bytes(needed)} of memory, "
            f"over the limit of {format_bytes(max_in_memory_bytes)}. Ask for fewer images "
            "(e.g. 'det-shapes:500') or a smaller Input size.")
    images, boxes = drawn(generate_det_shapes, count, (shape[1], shape[2]), seed)
    train, val = split_boxed(images, boxes, val_fraction, seed)
    source = (f"det-shapes (generated, {count:,} images with boxes of {len(DET_SHAPE_CLASSES)} classes "
              f"at {shape[1]}×{shape[2]}, seed {seed})")
    return build_box_split(train, val, input_shape=shape, class_names=DET_SHAPE_CLASSES, source=source,
                           suggested_augment=Augment(flip=True))


def dataset_info(spec: str | os.PathLike, root: str | os.PathLike | None = None,
                 target: str | None = None) -> DatasetInfo:
    """What a dataset holds (classes, channels, native size, count), found cheaply.

    Nothing is generated, downloaded or decoded: torchvision sets are
    described from constants (even when not downloaded yet; `root` is
    accepted for symmetry with `load_dataset`), folders from their file names
    and a few image headers.
    """
    parsed = parse_spec(spec)
    if parsed.kind == MEDMNIST:
        return medmnist_info(parsed.option, root)
    if parsed.kind == FINDINGS_CSV:
        assert parsed.path is not None
        return findings_csv_info(parsed.path)
    if parsed.kind == _FOLDER and parsed.path is not None and target == "identity":
        return identity_folder_info(parsed.path)
    if parsed.kind == "face-shapes":
        return face_shapes_info(parsed.count or FACE_SHAPES_DEFAULT_COUNT)
    if parsed.kind == "lfw":
        return lfw_info()
    if parsed.kind == _FOLDER and parsed.path is not None and box_folder_format(parsed.path):
        return box_folder_info(parsed.path)
    if parsed.kind == _FOLDER and parsed.path is not None and is_mask_folder(parsed.path):
        return mask_folder_info(parsed.path)
    if parsed.kind == _FOLDER:
        assert parsed.path is not None
        return image_folder_info(parsed.path)
    if parsed.kind == "digits":
        return digits_info()
    if parsed.kind == "shapes":
        return shapes_info(parsed.count or SHAPES_DEFAULT_COUNT)
    if parsed.kind == "seg-shapes":
        return seg_shapes_info(parsed.count or SEG_SHAPES_DEFAULT_COUNT)
    if parsed.kind == "det-shapes":
        return det_shapes_info(parsed.count or DET_SHAPES_DEFAULT_COUNT)
    if parsed.kind in MASK_SETS:
        return torchvision_masks_info(parsed.kind)
    return torchvision_info(parsed.kind)
