"""Problems found while scanning a dataset: unreadable files, duplicates (and duplicates across training and
validation: a leak), images far from the typical size, masks and boxes that do not fit their image.

Each problem names its file; those that training would still use can be excluded by the project (an
exclusion list, engine.config's ``exclude``), never by touching the user's files.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..reading import MAX_IMAGE_FILE_BYTES, read_limited
from .errors import DatasetError
from .image_files import open_image
from .image_folder import DECODE_ERRORS
from .sample_index import SPLIT_NAMES, TRAIN, VAL, SampleIndex

#: an image whose height or width is over this many times the typical (median) one, or under its inverse
ODD_SIZE_FACTOR = 2.0
PROBLEM_KINDS = ("unreadable", "leak", "duplicate", "odd size", "mask", "boxes")


@dataclass(frozen=True)
class DataProblem:
    kind: str  # one of PROBLEM_KINDS
    name: str  # the file relative to the folder, or "train #12"
    message: str
    #: training still uses the sample (so excluding it changes something); unreadable files it skips anyway
    in_training: bool = True

    def as_dict(self) -> dict:
        return {"kind": self.kind, "file": self.name, "message": self.message, "in_training": self.in_training}


def scan_problems(samples: SampleIndex, *, progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] = lambda: False) -> list[DataProblem]:
    """Reads every sample once (its bytes, its header, its target). Raises stream_stats.Cancelled when asked."""
    from .stream_stats import Cancelled

    problems = [DataProblem("mask" if "mask" in reason else "unreadable", name,
                            f"{reason}; training skips it", in_training=False)
                for name, reason in samples.unreadable]
    digests: dict[bytes, list[int]] = {}
    sizes = np.zeros((len(samples), 2), dtype=np.int64)
    total = len(samples)
    for index in range(total):
        if index % 64 == 0:
            if cancelled():
                raise Cancelled()
            if progress is not None:
                progress(index, total)
        try:
            content = _content(samples, index)
        except (OSError, DatasetError) as error:
            problems.append(DataProblem("unreadable", samples.names[index], _short(error)))
            continue
        digests.setdefault(hashlib.blake2b(content, digest_size=16).digest(), []).append(index)
        sizes[index] = _size(samples, index)
        problems += _target_problems(samples, index, sizes[index])
    if progress is not None:
        progress(total, total)
    problems += _duplicates(samples, digests)
    problems += _odd_sizes(samples, sizes)
    return problems


def _short(error: Exception) -> str:
    return " ".join(str(error).split())[:120]


def _content(samples: SampleIndex, index: int) -> bytes:
    if samples.paths is not None:
        return read_limited(samples.paths[index], "an image", MAX_IMAGE_FILE_BYTES)
    assert samples.raw_bytes is not None
    return samples.raw_bytes(index)


def _size(samples: SampleIndex, index: int) -> tuple[int, int]:
    if samples.paths is None:
        return samples.image(index).shape[:2]
    try:
        with open_image(samples.paths[index]) as image:
            return image.height, image.width
    except DECODE_ERRORS:
        return 0, 0


def _duplicates(samples: SampleIndex, digests: dict[bytes, list[int]]) -> list[DataProblem]:
    """Every copy after the first of a group; a validation copy of a training image is a leak."""
    problems = []
    for group in digests.values():
        if len(group) < 2:
            continue
        first = next((i for i in group if samples.split[i] == TRAIN), group[0])
        for index in group:
            if index == first:
                continue
            original = samples.names[first]
            if samples.split[index] != samples.split[first]:
                problems.append(DataProblem("leak", samples.names[index],
                                            f"the same image as {original} ({SPLIT_NAMES[samples.split[first]]}) "
                                            f"is in {SPLIT_NAMES[samples.split[index]]}: validation would score "
                                            "an image the network trained on"))
            else:
                problems.append(DataProblem("duplicate", samples.names[index], f"the same image as {original}"))
    return problems


def _odd_sizes(samples: SampleIndex, sizes: np.ndarray) -> list[DataProblem]:
    readable = sizes[(sizes > 0).all(axis=1)]
    if len(readable) < 3:
        return []
    typical = np.median(readable, axis=0)
    problems = []
    for index, (height, width) in enumerate(sizes):
        if height == 0:
            continue
        ratio = max(height / typical[0], typical[0] / height, width / typical[1], typical[1] / width)
        if ratio > ODD_SIZE_FACTOR:
            problems.append(DataProblem("odd size", samples.names[index],
                                        f"{height}×{width}, far from the typical {typical[0]:.0f}×{typical[1]:.0f}"))
    return problems


def _target_problems(samples: SampleIndex, index: int, size) -> list[DataProblem]:
    if samples.target == "label":
        return []
    try:
        target = samples.target_of(index)
    except DatasetError as error:
        return [DataProblem("mask", samples.names[index], _short(error))]
    if target is None:
        return []
    if samples.target == "mask":
        return mask_problems(samples.names[index], target, tuple(size), len(samples.class_names))
    return box_problems(samples.names[index], target, len(samples.class_names))


def mask_problems(name: str, mask: np.ndarray, size: tuple[int, int], num_classes: int) -> list[DataProblem]:
    """A mask of another size than its image, or holding a class the set does not have (255: unlabelled)."""
    if tuple(mask.shape) != tuple(size):
        return [DataProblem("mask", name, f"mask {mask.shape[0]}×{mask.shape[1]} does not fit its image "
                                          f"{size[0]}×{size[1]}")]
    values = np.unique(mask)
    unknown = [int(v) for v in values if v != 255 and not 0 <= v < num_classes]
    if unknown:
        return [DataProblem("mask", name, f"mask holds class(es) {', '.join(map(str, unknown[:5]))} but the set "
                                          f"has {num_classes} (0..{num_classes - 1})")]
    return []


def box_problems(name: str, boxes: np.ndarray, num_classes: int) -> list[DataProblem]:
    """Boxes (class, x0, y0, x1, y1 as fractions of the image) outside the image, empty, or of an unknown class."""
    problems = []
    for row in np.asarray(boxes, dtype=np.float64).reshape(-1, 5):
        label, x0, y0, x1, y1 = row
        where = f"box ({x0:.2f}, {y0:.2f})–({x1:.2f}, {y1:.2f})"
        if min(x0, y0) < -1e-6 or max(x1, y1) > 1 + 1e-6:
            problems.append(DataProblem("boxes", name, f"{where} reaches outside its image"))
        elif x1 <= x0 or y1 <= y0:
            problems.append(DataProblem("boxes", name, f"{where} is empty"))
        elif not 0 <= label < num_classes:
            problems.append(DataProblem("boxes", name, f"{where} has a class the set does not list"))
    return problems


def excludable(problems: list[DataProblem]) -> list[str]:
    """The files the problems name that training still uses, once each, in order."""
    return list(dict.fromkeys(p.name for p in problems if p.in_training))


__all__ = ["DataProblem", "PROBLEM_KINDS", "scan_problems", "mask_problems", "box_problems", "excludable",
           "TRAIN", "VAL"]
