"""Segmenting image files with a trained network: a mask PNG beside each input, and each class's share.

The image goes through the same preprocessing as training (``load_image_file``);
the predicted mask (the task's decode: argmax over classes) is scaled back to
the image's own size with nearest-neighbour sampling and written as a
palette PNG whose pixel values are the class indices (viewers show colours),
next to the input as ``<stem>.mask.png``, atomically.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from .data.image_files import open_image
from .fileio import atomic_write
from .predict import ImageFileError, load_image_file
from .reading import RefusedFile
from .tasks import SEGMENTATION
from .tasks.segmentation import PALETTE

MASK_SUFFIX = ".mask.png"



@dataclass
class MaskPrediction:
    path: str
    mask_path: str | None = None
    shares: list[tuple[str, float]] = field(default_factory=list)
    """Each class's share of the image's pixels, in class order."""
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {"path": self.path, "mask": self.mask_path,
                "shares": [{"class": name, "share": share} for name, share in self.shares],
                **({"error": self.error} if self.error else {})}


def mask_path_for(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.stem + MASK_SUFFIX)


def mask_image(mask: torch.Tensor) -> Image.Image:
    """(H, W) class indices → a palette PNG image whose pixel values are those indices."""
    image = Image.fromarray(mask.to(torch.uint8).numpy(), mode="P")
    flat = [value for colour in PALETTE for value in colour]
    image.putpalette(flat + [255] * (768 - len(flat)))
    return image


def segment_file(model: nn.Module, path: str | os.PathLike, *, input_shape: Sequence[int], mean: Sequence[float],
                 std: Sequence[float]) -> torch.Tensor:
    """The predicted mask of one image file, (H, W) int64 class indices at the file's own size (nearest).
    Raises ``ImageFileError`` for an image that cannot be used, ``RefusedFile``/``OSError`` for an unreadable
    file (``predict_masks`` turns them into messages)."""
    image = load_image_file(path, input_shape, mean, std)
    with open_image(path) as original:
        size = original.size  # (width, height)
    with torch.inference_mode():
        mask = SEGMENTATION.decode(model(image))
    full = nn.functional.interpolate(mask[:, None].float(), size=(size[1], size[0]), mode="nearest-exact")
    return full[0, 0].to(torch.int64)


def class_shares(mask: torch.Tensor, class_names: Sequence[str]) -> list[tuple[str, float]]:
    """Each class's share of the mask's pixels, in class order."""
    counts = torch.bincount(mask.flatten(), minlength=len(class_names)).tolist()
    return [(class_names[index] if index < len(class_names) else f"class {index}", count / mask.numel())
            for index, count in enumerate(counts)]


def predict_masks(model: nn.Module, paths: Iterable[str | os.PathLike], *, input_shape: Sequence[int],
                  mean: Sequence[float], std: Sequence[float], class_names: Sequence[str]) -> list[MaskPrediction]:
    """One ``MaskPrediction`` per path; a file that cannot be read or whose mask cannot be written gets its
    ``error`` and the others go on."""
    results = []
    model.eval()
    for path in paths:
        result = MaskPrediction(os.fspath(path))
        results.append(result)
        try:
            full = segment_file(model, path, input_shape=input_shape, mean=mean, std=std)
        except ImageFileError as error:
            result.error = error.reason
            continue
        except (RefusedFile, OSError) as error:
            result.error = str(error)
            continue
        result.shares = class_shares(full, class_names)
        target = mask_path_for(path)
        try:
            atomic_write(target, lambda temp: mask_image(full).save(temp, format="PNG"))
        except OSError as error:
            result.error = f"could not write the mask {target}: {error}"
            continue
        result.mask_path = str(target)
    return results
