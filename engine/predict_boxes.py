"""Detecting objects in image files with a trained network: boxes per image, and a picture with them drawn.

The image goes through the same preprocessing as training (``load_image_file``); the task decodes the
head maps into boxes (fractions of the image, so they scale straight back to the image's own pixels), and
a copy of the image with each box, its class and score drawn on it is written next to the input as
``<stem>.boxes.png``, atomically.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from PIL import Image, ImageDraw
from torch import nn

from .data.image_files import open_image
from .fileio import atomic_write
from .predict import ImageFileError, load_image_file
from .reading import RefusedFile
from .tasks import DETECTION
from .tasks.segmentation import PALETTE

BOXES_SUFFIX = ".boxes.png"
DEFAULT_SCORE_THRESHOLD = 0.3


@dataclass(frozen=True)
class Box:
    name: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float
    """Corners in the image's own pixels."""

    def to_dict(self) -> dict:
        return {"class": self.name, "score": self.score, "box": [self.x0, self.y0, self.x1, self.y1]}


@dataclass
class BoxPrediction:
    path: str
    picture_path: str | None = None
    boxes: list[Box] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {"path": self.path, "picture": self.picture_path, "boxes": [box.to_dict() for box in self.boxes],
                **({"error": self.error} if self.error else {})}


def picture_path_for(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.stem + BOXES_SUFFIX)


def draw_boxes(image: Image.Image, boxes: Sequence[Box], class_names: Sequence[str]) -> Image.Image:
    """A colour copy of ``image`` with each box outlined in its class's colour and labelled "name 0.97"."""
    picture = image.convert("RGB")
    draw = ImageDraw.Draw(picture)
    for box in boxes:
        index = class_names.index(box.name) if box.name in class_names else 0
        colour = PALETTE[1 + index % (len(PALETTE) - 1)]  # PALETTE[0] is black, the background's
        draw.rectangle([box.x0, box.y0, max(box.x0, box.x1 - 1), max(box.y0, box.y1 - 1)], outline=colour, width=2)
        draw.text((box.x0 + 2, box.y0 + 1), f"{box.name} {box.score:.2f}", fill=colour)
    return picture


def predict_boxes(model: nn.Module, paths: Iterable[str | os.PathLike], *, input_shape: Sequence[int],
                  mean: Sequence[float], std: Sequence[float], class_names: Sequence[str],
                  score_threshold: float = DEFAULT_SCORE_THRESHOLD, write_pictures: bool = True) -> list[BoxPrediction]:
    """One ``BoxPrediction`` per path, best box first; a file that cannot be read or whose picture cannot be
    written gets its ``error`` and the others go on."""
    results = []
    model.eval()
    for path in paths:
        result = BoxPrediction(os.fspath(path))
        results.append(result)
        try:
            image = load_image_file(path, input_shape, mean, std)
            with open_image(path) as original:
                original.load()
                picture = original.copy()
        except ImageFileError as error:
            result.error = error.reason
            continue
        except (RefusedFile, OSError) as error:
            result.error = str(error)
            continue
        with torch.inference_mode():
            (found,) = DETECTION.decode(model(image), score_threshold=score_threshold)
        width, height = picture.size
        scale = torch.tensor([width, height, width, height], dtype=torch.float32)
        for corners, score, label in zip((found["boxes"].cpu() * scale).tolist(), found["scores"].tolist(),
                                         found["labels"].tolist()):
            name = class_names[label] if label < len(class_names) else f"class {label}"
            result.boxes.append(Box(name, score, *corners))
        if not write_pictures:
            continue
        target = picture_path_for(path)
        try:
            atomic_write(target, lambda temp: draw_boxes(picture, result.boxes, class_names).save(temp, format="PNG"))
        except OSError as error:
            result.error = f"could not write the picture {target}: {error}"
            continue
        result.picture_path = str(target)
    return results
