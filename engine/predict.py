"""Classifying image files with a trained network: top-k classes per file.

Images go through the data layer's ``preprocess_images``, the very
preprocessing training used (resize, grey↔RGB, normalisation), so any image
size or colour mode works. A file that is missing or cannot be decoded gets
an error on its own ``Prediction``; the others are still classified.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import torch
from PIL import Image
from torch import nn

from .data import DatasetError, preprocess_images
from .data.adapt import check_input_shape
from .data.image_folder import DECODE_ERRORS, decode_image
from .data.medical_files import MedicalFileError
from .reading import RefusedFile

BATCH_SIZE = 64  # images per forward pass: bounds memory for long file lists


class PredictionError(ValueError):
    """The model information cannot be used for prediction (not a per-file problem)."""


@dataclass
class Prediction:
    path: str
    # (class name, probability), most probable first; empty when ``error`` is set.
    top: list[tuple[str, float]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict:
        return {"path": self.path, "top": [{"class": name, "probability": p} for name, p in self.top],
                "error": self.error}


def predict_images(
    model: nn.Module,
    paths: Iterable[str | os.PathLike],
    *,
    input_shape: Sequence[int],
    mean: Sequence[float],
    std: Sequence[float],
    class_names: Sequence[str],
    top_k: int = 5,
    window=None,
) -> list[Prediction]:
    """One ``Prediction`` per path, in order; ``model`` must be in eval mode on the CPU. ``window``: the
    Input's window/level for DICOM, NIfTI and 16-bit images (``compiler.input_window``)."""
    try:
        channels = check_input_shape(input_shape)[0]
    except DatasetError as error:
        raise PredictionError(str(error)) from None
    if len(mean) != channels or len(std) != channels:
        raise PredictionError(f"the normalisation has {len(mean)} mean and {len(std)} std value(s) but the "
                              f"network takes {channels} channel(s)")
    if top_k < 1:
        raise PredictionError(f"top-k must be at least 1, got {top_k}")
    predictions = [Prediction(os.fspath(path)) for path in paths]
    pending: list[tuple[Prediction, torch.Tensor]] = []
    for prediction in predictions:
        image = _load_image(prediction, input_shape, mean, std, window)
        if image is not None:
            pending.append((prediction, image))
        if len(pending) == BATCH_SIZE:
            _classify(model, pending, class_names, top_k)
            pending = []
    if pending:
        _classify(model, pending, class_names, top_k)
    return predictions


class ImageFileError(DatasetError):
    """An image file that cannot be classified; ``reason`` says why without the path."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        super().__init__(f"{os.fspath(path)}: {reason}")
        self.reason = reason


def load_image_file(path: str | os.PathLike, input_shape: Sequence[int], mean: Sequence[float],
                    std: Sequence[float], window=None) -> torch.Tensor:
    """The file as one (1, C, H, W) tensor prepared like the training images (through the Input's
    ``window`` for high-bit-depth files); raises ``ImageFileError``."""
    try:
        return preprocess_images(decode_image(path, window), input_shape, mean, std)
    except RefusedFile as refused:  # a folder, a pipe, a device, too large: never handed to PIL
        raise ImageFileError(path, refused.reason) from None
    except MedicalFileError as error:
        raise ImageFileError(path, error.reason) from None
    except DECODE_ERRORS as error:
        raise ImageFileError(path, f"not a readable image ({_decode_reason(error)})") from None
    except DatasetError as error:
        raise ImageFileError(path, str(error)) from None


def _load_image(prediction: Prediction, input_shape, mean, std, window=None) -> torch.Tensor | None:
    """The file as one preprocessed (1, C, H, W) tensor, or None with ``prediction.error`` set."""
    try:
        return load_image_file(prediction.path, input_shape, mean, std, window)
    except ImageFileError as error:
        prediction.error = error.reason
        return None


def _decode_reason(error: BaseException) -> str:
    if isinstance(error, Image.UnidentifiedImageError):
        return "unknown format or not an image file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return " ".join(str(error).split())[:120] or type(error).__name__


def _classify(model: nn.Module, items: list[tuple[Prediction, torch.Tensor]], class_names: Sequence[str],
              top_k: int) -> None:
    with torch.inference_mode():
        logits = model(torch.cat([image for _, image in items]))
    probabilities = torch.softmax(logits.float(), dim=1)
    values, indices = probabilities.topk(min(top_k, probabilities.shape[1]), dim=1)
    for (prediction, _), row_values, row_indices in zip(items, values.tolist(), indices.tolist()):
        prediction.top = [(_class_name(class_names, index), value) for index, value in zip(row_indices, row_values)]


def _class_name(class_names: Sequence[str], index: int) -> str:
    # A checkpoint without (enough) names still gets readable labels.
    return class_names[index] if index < len(class_names) else f"class {index}"
