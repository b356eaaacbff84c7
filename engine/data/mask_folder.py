"""Image + mask folders for segmentation: ``images/`` and ``masks/`` with the same file stems.

Masks are index PNGs (each pixel's value is its class) or colour PNGs with a
class→colour table in ``classes.txt`` beside the two folders, one class a
line: ``name`` (index masks) or ``name R G B`` / ``name #rrggbb`` (colour
masks; line order gives the class index). A pixel value of 255 in an index
mask means "unlabelled". An image without a mask, a mask of another size than
its image, a colour not in the table and an unreadable file are each named,
the pair skipped, and the count shown, as for classification folders.
"""
from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .adapt import adapt_images, check_input_shape
from .augment import Augment
from .datasplit import DatasetInfo, DataSplit
from .errors import DatasetError
from .image_files import open_image
from .image_folder import DECODE_ERRORS, decode_image, file_stem, is_image_path
from ..reading import RefusedFile, read_limited
from .mask_split import MaskedImages, build_mask_split, random_split, resize_masks

CLASSES_FILE = "classes.txt"
MAX_TABLE_BYTES = 1024 * 1024
IGNORE = 255
MAX_CLASSES = 255
_SHOWN_PROBLEMS = 5


def is_mask_folder(path: str | os.PathLike) -> bool:
    path = Path(path)
    return (path / "images").is_dir() and (path / "masks").is_dir()


@dataclass
class ClassTable:
    names: list[str]
    colours: list[tuple[int, int, int]] | None = None
    """None: masks are index images."""


def read_class_table(root: Path) -> ClassTable | None:
    """``classes.txt`` if present; raises DatasetError naming the line that cannot be read."""
    path = root / CLASSES_FILE
    if not path.exists():
        return None
    try:  # through the one door: a regular file of bounded size, never a pipe or a device
        lines = [line.strip() for line in read_limited(path, "a class table", MAX_TABLE_BYTES).decode("utf-8")
                 .splitlines()]
    except (OSError, UnicodeDecodeError) as error:
        reason = error.reason if isinstance(error, RefusedFile) else error
        raise DatasetError(f"{path}: cannot be read ({reason}); write one class a line, e.g. 'road 128 64 128'.")
    names, colours = [], []
    for number, line in enumerate(lines, start=1):
        if not line or line.startswith("#"):  # blank lines and comments
            continue
        name, *rest = line.split()
        colour = _colour(rest)
        if rest and colour is None:
            raise DatasetError(f"{path}, line {number}: {line!r} is not 'name R G B' or 'name #rrggbb' "
                               "(three numbers 0-255, or one hex colour).")
        names.append(name)
        colours.append(colour)
    if len(names) < 2 or len(names) > MAX_CLASSES:
        raise DatasetError(f"{path}: needs between 2 and {MAX_CLASSES} classes, one a line; it has {len(names)}.")
    given = [c is not None for c in colours]
    if any(given) and not all(given):
        raise DatasetError(f"{path}: give a colour for every class (colour masks) or for none (index masks).")
    if all(given) and len(set(colours)) != len(colours):
        raise DatasetError(f"{path}: two classes share one colour; each class needs its own.")
    return ClassTable(names, colours if all(given) else None)


def _colour(parts: list[str]) -> tuple[int, int, int] | None:
    try:
        if len(parts) == 1 and parts[0].startswith("#") and len(parts[0]) == 7:
            return tuple(int(parts[0][i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]
        if len(parts) == 3:
            values = tuple(int(part) for part in parts)
            return values if all(0 <= v <= 255 for v in values) else None  # type: ignore[return-value]
    except ValueError:
        return None
    return None


@dataclass
class _Pairs:
    found: list[tuple[Path, Path]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    images: int = 0


def _pairs(root: Path) -> _Pairs:
    pairs = _Pairs()
    masks = {file_stem(path): path for path in sorted((root / "masks").iterdir()) if is_image_path(path)}
    for image in sorted((root / "images").iterdir()):
        if not is_image_path(image):
            continue
        pairs.images += 1
        mask = masks.get(file_stem(image))
        if mask is None:
            pairs.problems.append(f"{image.name}: no mask masks/{file_stem(image)}.png")
        else:
            pairs.found.append((image, mask))
    return pairs


def _read_mask(path: Path, table: ClassTable | None, size: tuple[int, int]) -> torch.Tensor:
    """(H, W) int64 class indices; raises ValueError with a short reason."""
    with open_image(path) as image:
        image.load()
        if (image.height, image.width) != size:
            raise ValueError(f"mask {image.height}×{image.width} but image {size[0]}×{size[1]}")
        if table is not None and table.colours is not None:
            pixels = np.asarray(image.convert("RGB"), dtype=np.int64)
            codes = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
            lookup = {(r << 16) | (g << 8) | b: index for index, (r, g, b) in enumerate(table.colours)}
            mask = np.full(codes.shape, -1, dtype=np.int64)
            for code, index in lookup.items():
                mask[codes == code] = index
            if (mask < 0).any():
                r, g, b = pixels[mask < 0][0]
                raise ValueError(f"colour ({r}, {g}, {b}) is not in {CLASSES_FILE}")
            return torch.from_numpy(mask)
        if image.mode not in ("L", "P", "I", "I;16", "1"):
            raise ValueError(f"a {image.mode} mask needs a class→colour table ({CLASSES_FILE} with colours)")
        return torch.from_numpy(np.asarray(image, dtype=np.int64).copy())


def load_mask_folder(path: str | os.PathLike, input_shape, *, val_fraction: float = 0.2,
                     seed: int = 0, window=None, exclude: Collection[str] = ()) -> DataSplit:
    """Image+mask pairs; images may be DICOM, NIfTI or 16-bit, read through ``window`` (a
    ``windowing.Window``; None: each file's own). ``exclude``: images (``images/NAME``, relative to the
    folder) the project leaves out of training."""
    root = Path(path).expanduser()
    shape = check_input_shape(input_shape)
    table = read_class_table(root)
    pairs = _pairs(root)
    if exclude:
        names = set(exclude)
        pairs.found = [(image, mask) for image, mask in pairs.found
                       if f"images/{image.name}" not in names]
    images, masks, problems = [], [], list(pairs.problems)
    for image_path, mask_path in pairs.found:
        try:
            pixels = decode_image(image_path, window)
        except DECODE_ERRORS as error:
            reason = getattr(error, "reason", None) or ' '.join(str(error).split())[:80]
            problems.append(f"{image_path.name}: not a readable image ({reason})")
            continue
        try:
            mask = _read_mask(mask_path, table, tuple(pixels.shape[1:]))
        except DECODE_ERRORS as error:
            problems.append(f"{mask_path.name}: {' '.join(str(error).split())[:100]}")
            continue
        images.append(adapt_images(pixels.unsqueeze(0), shape))
        masks.append(resize_masks(mask.unsqueeze(0), shape[1:]))
    if len(images) < 2:
        shown = "; ".join(problems[:_SHOWN_PROBLEMS])
        raise DatasetError(f"{root}: {len(images)} usable image+mask pair(s) of {pairs.images} images; need at "
                           f"least 2 (put each image in images/ and its mask, same name, in masks/)"
                           + (f". Problems: {shown}" if shown else "."))
    all_masks = torch.cat(masks)
    labelled = all_masks[all_masks != IGNORE]
    names = table.names if table is not None else [f"class {i}" for i in range(int(labelled.max()) + 1 if
                                                                               labelled.numel() else 2)]
    notes = []
    if problems:
        more = f" and {len(problems) - _SHOWN_PROBLEMS} more" if len(problems) > _SHOWN_PROBLEMS else ""
        notes.append(f"skipped {len(problems)} of {pairs.images} images: {'; '.join(problems[:_SHOWN_PROBLEMS])}{more}")
    train, val = random_split(MaskedImages(torch.cat(images), all_masks), val_fraction, seed)
    source = f"{root.name} (image+mask folder, {len(images):,} images, {len(names)} classes)"
    return build_mask_split(train, val, input_shape=shape, class_names=names, source=source, notes=notes,
                            suggested_augment=Augment(flip=True))


def mask_folder_info(path: str | os.PathLike) -> DatasetInfo:
    root = Path(path).expanduser()
    table = read_class_table(root)
    pairs = _pairs(root)
    if table is not None:
        names = tuple(table.names)
    else:  # index masks without a table: the classes are the values the masks hold (read them all)
        top = 1
        for _, mask_path in pairs.found:
            try:
                with open_image(mask_path) as image:
                    values = np.asarray(image)
                    values = values[values != IGNORE]
                    top = max(top, int(values.max()) if values.size else 0)
            except DECODE_ERRORS:
                continue
        names = tuple(f"class {i}" for i in range(top + 1))
    return DatasetInfo(name=root.name, class_names=names, channels=3, native_size=None,
                       num_samples=pairs.images, description=f"{root.name} (image+mask folder)", target="mask")
