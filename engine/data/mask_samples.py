"""An image+mask folder listed for looking at (engine.data.sample_index), split as training splits it."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DatasetError
from .image_folder import DECODE_ERRORS, header_size
from .mask_folder import _pairs, _read_mask, read_class_table
from .medical_files import is_medical_path
from .sample_index import TRAIN, VAL, SampleIndex, read_image_file, window_note


def _header_size(path: Path) -> tuple[int, int] | None:
    """(height, width) from the header (DICOM and NIfTI images too), None when unreadable."""
    try:
        return header_size(path)[1]
    except DECODE_ERRORS:
        return None


def mask_folder_samples(root: Path, val_fraction: float, seed: int, exclude: set[str], window=None) -> SampleIndex:
    """Pairs whose image and mask headers read and agree in size are listed; the others are named in
    ``unreadable`` with the reason (the file that does not fit its image is the mask). Images are read
    through ``window`` (the Input's; None: each file's own)."""
    import torch

    root = Path(root).expanduser().resolve()
    table = read_class_table(root)
    pairs = _pairs(root)
    found, unreadable, excluded = [], [], []
    for problem in pairs.problems:  # "x.png: no mask masks/x.png"
        name, _, reason = problem.partition(": ")
        unreadable.append((f"images/{name}", reason))
    for image_path, mask_path in pairs.found:
        name = image_path.relative_to(root).as_posix()
        if name in exclude:
            excluded.append(name)
            continue
        image_size, mask_size = _header_size(image_path), _header_size(mask_path)
        if image_size is None:
            unreadable.append((name, "not a readable image"))
        elif mask_size is None:
            unreadable.append((mask_path.relative_to(root).as_posix(), "not a readable mask"))
        elif image_size != mask_size:
            unreadable.append((mask_path.relative_to(root).as_posix(),
                               f"mask {mask_size[0]}×{mask_size[1]} does not fit its image "
                               f"{image_size[0]}×{image_size[1]}"))
        else:
            found.append((image_path, mask_path, image_size))
    if len(found) < 2:
        raise DatasetError(f"{root}: {len(found)} usable image+mask pair(s); need at least 2 (put each image in "
                           "images/ and its mask, same name, in masks/).")
    order = torch.randperm(len(found), generator=torch.Generator().manual_seed(int(seed)))
    held_out = min(len(found) - 1, max(1, round(len(found) * val_fraction)))
    split = np.full(len(found), TRAIN, np.uint8)
    split[order[:held_out].numpy()] = VAL
    names = table.names if table is not None else None

    def read_target(index: int) -> np.ndarray:
        image_path, mask_path, size = found[index]
        try:
            return _read_mask(mask_path, table, size).numpy()
        except DECODE_ERRORS as error:
            raise DatasetError(f"{mask_path}: {' '.join(str(error).split())[:100]}") from None

    if names is None:  # index masks without a table: as many classes as the largest value seen in a few masks
        top = max((int(m[m != 255].max(initial=0)) for m in (read_target(i) for i in range(min(len(found), 64)))),
                  default=1)
        names = [f"class {i}" for i in range(max(top, 1) + 1)]
    return SampleIndex(f"image+mask folder {root}", list(names), "mask", split,
                       np.full(len(found), -1, np.int64), [p.relative_to(root).as_posix() for p, _, _ in found],
                       read_image=lambda index: read_image_file(found[index][0], window), read_target=read_target,
                       root=root, unreadable=unreadable, excluded=excluded, paths=[p for p, _, _ in found],
                       window_note=window_note(window) if any(is_medical_path(p) for p, _, _ in found) else "")
