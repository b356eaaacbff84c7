"""Every sample of a dataset, listed for looking at: its split, its class and a way to read it on demand.

The Data view and ``convcanvas data`` need the very split training will use
(same seed, same validation share, same exclusions), but never all images
decoded at once: a folder of 60,000 files is listed by name and each image
is read only when somebody looks at it. Sets that live in memory anyway
(digits, the generated shapes, torchvision's arrays) are read by indexing.

    samples = open_samples("my_images/", val_fraction=0.2, seed=0)
    samples.image(12)      # (H, W, C) uint8, straight from the file
    samples.split[12]      # TRAIN or VAL
"""
from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .drawn_once import drawn
from .errors import DatasetError

TRAIN, VAL = 0, 1
SPLIT_NAMES = ("train", "val")


@dataclass
class SampleIndex:
    """A dataset's samples in one order: train and validation together, ``split`` saying which is which."""

    source: str
    class_names: list[str]
    #: "label" (classification), "mask" (segmentation) or "boxes" (detection)
    target: str
    split: np.ndarray  # (N,) uint8, TRAIN or VAL
    labels: np.ndarray  # (N,) int64 class index; -1 where a sample has no single class (masks, boxes)
    names: list[str]  # (N,) a file's path relative to the folder, or "train #12" for sets in memory
    read_image: Callable[[int], np.ndarray] = field(repr=False)
    read_target: Callable[[int], np.ndarray | None] = field(repr=False, default=lambda index: None)
    #: the folder the names are relative to; None for sets in memory (nothing there can be excluded)
    root: Path | None = None
    #: files found but not listed: unreadable ones (name, reason) and those the project excludes
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    #: the content of each sample where it is cheap to reach (arrays): duplicate checks hash these
    raw_bytes: Callable[[int], bytes] | None = field(repr=False, default=None)
    paths: list[Path] | None = field(repr=False, default=None)
    #: which window high-bit-depth images (DICOM, NIfTI, 16-bit PNG/TIFF) are shown through; "" if none are
    window_note: str = ""

    def __len__(self) -> int:
        return len(self.names)

    def image(self, index: int) -> np.ndarray:
        """(H, W, C) uint8, C 1 or 3: the sample as stored, before any adaptation."""
        return self.read_image(int(index))

    def target_of(self, index: int) -> np.ndarray | None:
        """(H, W) int64 class per pixel, (M, 5) float box rows (class, x0, y0, x1, y1 as fractions), or None."""
        return self.read_target(int(index))

    def indices(self, split: int | None = None, label: int | None = None) -> np.ndarray:
        """The samples of one split and/or one class, in order (None: any)."""
        keep = np.ones(len(self), dtype=bool)
        if split is not None:
            keep &= self.split == split
        if label is not None:
            keep &= self.labels == label
        return np.flatnonzero(keep)


def _hwc_uint8(image) -> np.ndarray:
    """A (C, H, W) tensor (uint8 0..255 or float 0..1) as (H, W, C) uint8 for looking at."""
    array = image.numpy() if hasattr(image, "numpy") else np.asarray(image)
    if array.dtype != np.uint8:
        array = (np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8)
    array = np.ascontiguousarray(np.moveaxis(array, 0, -1))
    if array.shape[-1] == 4:
        array = array[..., :3]
    return array


def array_samples(source: str, class_names: Sequence[str], target: str, train_images, val_images,
                  train_targets, val_targets) -> SampleIndex:
    """A split held as tensors: (N, C, H, W) images with labels (N,), masks (N, H, W) or boxes (N, M, 5)."""
    import torch

    # Held once as (N, H, W, C) uint8, the order pictures are drawn in: reading a sample is then a view.
    pixels = np.ascontiguousarray(np.moveaxis(_as_uint8(torch.cat([train_images, val_images])), 1, -1))
    if pixels.shape[-1] == 4:
        pixels = np.ascontiguousarray(pixels[..., :3])
    targets = torch.cat([train_targets, val_targets])
    n_train = train_images.shape[0]
    split = np.r_[np.full(n_train, TRAIN, np.uint8), np.full(val_images.shape[0], VAL, np.uint8)]
    labels = targets.numpy().astype(np.int64) if target == "label" else np.full(len(split), -1, np.int64)
    names = [f"{SPLIT_NAMES[s]} #{i if s == TRAIN else i - n_train}" for i, s in enumerate(split)]

    def read_target(index: int) -> np.ndarray | None:
        if target == "label":
            return None
        value = targets[index].numpy()
        return value[value[:, 0] >= 0] if target == "boxes" else value

    return SampleIndex(source, list(class_names), target, split, labels, names,
                       read_image=lambda index: pixels[index], read_target=read_target,
                       raw_bytes=lambda index: pixels[index].tobytes())


def _as_uint8(images) -> np.ndarray:
    array = images.numpy()
    if array.dtype == np.uint8:
        return array
    return (np.clip(array, 0, 1) * 255 + 0.5).astype(np.uint8)


def open_samples(spec: str | os.PathLike, *, input_shape: Sequence[int] = (1, 28, 28), val_fraction: float = 0.2,
                 seed: int = 0, root: str | os.PathLike | None = None,
                 exclude: Collection[str] = (), window=None) -> SampleIndex:
    """The samples of ``spec`` split as ``load_dataset`` splits them (generated sets are drawn at
    ``input_shape``'s size). ``window`` (the Input's ``windowing.Window``; None: each file's own): high-bit-depth
    images are read through it, as training reads them. Raises DatasetError with a message fit to show the user."""
    from .catalog import parse_spec
    from .mask_folder import is_mask_folder
    from .stratify import check_val_fraction

    check_val_fraction(val_fraction)
    parsed = parse_spec(spec)
    if parsed.kind == "folder":
        assert parsed.path is not None
        if is_mask_folder(parsed.path):
            from .mask_samples import mask_folder_samples

            return mask_folder_samples(parsed.path, val_fraction, seed, set(exclude), window)
        from .coco_samples import coco_folder_samples, is_coco_folder

        if is_coco_folder(parsed.path):
            return coco_folder_samples(parsed.path, val_fraction, seed, set(exclude))
        return _image_folder_samples(parsed.path, val_fraction, seed, set(exclude), window)
    return _named_samples(parsed, tuple(input_shape), val_fraction, seed, root)


def _named_samples(parsed, input_shape: tuple[int, ...], val_fraction: float, seed: int, root) -> SampleIndex:
    from .assemble import split_by_fraction

    size = (int(input_shape[1]), int(input_shape[2]))
    if parsed.kind == "digits":
        from .digits import load_digits

        data, names = load_digits()
        train, val = split_by_fraction(data, val_fraction, seed)
        return array_samples("digits (bundled)", names, "label", train.images, val.images, train.labels, val.labels)
    if parsed.kind == "shapes":
        from .assemble import LabelledImages
        from .shapes import CLASS_NAMES, generate_shapes

        images, labels = drawn(generate_shapes, parsed.count, size, seed)
        train, val = split_by_fraction(LabelledImages(images, labels), val_fraction, seed)
        return array_samples(f"shapes (generated, seed {seed})", CLASS_NAMES, "label", train.images, val.images,
                             train.labels, val.labels)
    if parsed.kind == "seg-shapes":
        from .mask_split import MaskedImages, random_split
        from .seg_shapes import CLASS_NAMES, generate_seg_shapes

        images, masks = drawn(generate_seg_shapes, parsed.count, size, seed)
        train, val = random_split(MaskedImages(images, masks), val_fraction, seed)
        return array_samples(f"seg-shapes (generated, seed {seed})", CLASS_NAMES, "mask", train.images, val.images,
                             train.masks, val.masks)
    if parsed.kind == "det-shapes":
        from .box_split import split_boxed
        from .det_shapes import CLASS_NAMES, generate_det_shapes

        images, boxes = drawn(generate_det_shapes, parsed.count, size, seed)
        (train_x, train_b), (val_x, val_b) = split_boxed(images, boxes, val_fraction, seed)
        return array_samples(f"det-shapes (generated, seed {seed})", CLASS_NAMES, "boxes", train_x, val_x,
                             train_b, val_b)
    from .torchvision_sets import SETS, load_torchvision_set

    if parsed.kind not in SETS:
        raise DatasetError(f"The Data view cannot list {parsed.kind!r} yet; it lists the bundled and generated "
                           "sets, MNIST, Fashion-MNIST, CIFAR-10 and image or image+mask folders.")
    train, val, names, source = load_torchvision_set(parsed.kind, root, False)
    return array_samples(source, names, "label", train.images, val.images, train.labels, val.labels)


def _image_folder_samples(path: Path, val_fraction: float, seed: int, exclude: set[str], window=None) -> SampleIndex:
    """As ``load_image_folder`` splits a folder: unreadable and excluded files out first, then stratified."""
    import torch

    from .image_folder import probe_image, scan_folder
    from .medical_files import HIGH_BIT_MODES
    from .stratify import stratified_split

    scan = scan_folder(path)
    files, labels, excluded, unreadable, high_bit = [], [], [], [], False
    for file, label in zip(scan.files, scan.labels):
        name = scan.relative(file)
        mode = None if name in exclude else probe_image(file)
        if name in exclude:
            excluded.append(name)
        elif mode is None:
            unreadable.append((name, "not a readable image"))
        else:
            files.append(file)
            labels.append(label)
            high_bit = high_bit or mode in ("dicom", "nifti") or mode in HIGH_BIT_MODES
    if len(set(labels)) < 2:
        raise DatasetError(f"The image folder {scan.root} has fewer than two classes with readable, "
                           "included images; a classifier needs at least two.")
    # Classes whose every image is unreadable or excluded drop out and the rest are renumbered, as in training.
    kept = sorted(set(labels))
    renumber = {old: new for new, old in enumerate(kept)}
    label_array = np.array([renumber[label] for label in labels], dtype=np.int64)
    train_index, val_index = stratified_split(torch.from_numpy(label_array), val_fraction, seed)
    split = np.full(len(files), TRAIN, np.uint8)
    split[val_index.numpy()] = VAL
    return SampleIndex(
        f"image folder {scan.root}", [scan.class_names[i] for i in kept], "label", split, label_array,
        [scan.relative(f) for f in files], read_image=lambda index: read_image_file(files[index], window),
        root=scan.root, unreadable=unreadable, excluded=excluded, paths=files,
        window_note=window_note(window) if high_bit else "")


def window_note(window=None) -> str:
    """Says which window the listed high-bit-depth images are shown through (the one training applies)."""
    from .windowing import Window

    shown = (window or Window()).describe()
    return f"DICOM, NIfTI and 16-bit images shown through {shown}, as the network receives them"


def read_image_file(path: str | os.PathLike, window=None) -> np.ndarray:
    """(H, W, C) uint8 of an image file, through the one door (high-bit-depth files through ``window``, None:
    each file's own); raises DatasetError for one that fails."""
    from .image_folder import DECODE_ERRORS, decode_image

    try:
        return _hwc_uint8(decode_image(path, window))
    except DECODE_ERRORS as error:
        raise DatasetError(f"{path}: not a readable image ({' '.join(str(error).split())[:80]}).") from None
