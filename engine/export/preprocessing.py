"""Exports that take raw images: the training data's adaptation in front of the network.

``WithPreprocessing`` wraps a trained network so that it takes images as
they come (uint8 0..255 or float 0..1, any size, grey, RGB or with alpha)
and applies what the data pipeline applied to its training images: the very
same ``adapt_batch`` (resize, channel conversion) and normalisation with the
training mean and std. So the export and ``convcanvas predict`` agree.

TorchScript compiles the wrapper (``torch.jit.script``) around the traced
network, so one file takes any dtype, channel count and size. ONNX has one
input type: the export takes uint8 RGB batches (N, 3, H, W), the usual decoded
image, with the batch, height and width dynamic.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from ..data.adapt import adapt_batch, check_input_shape

ONNX_RAW_CHANNELS = 3  # what image decoders give


class WithPreprocessing(nn.Module):
    def __init__(self, network: nn.Module, input_shape: Sequence[int], mean: Sequence[float],
                 std: Sequence[float]) -> None:
        super().__init__()
        self.network = network
        self.channels, self.height, self.width = check_input_shape(input_shape)
        # The (x - mean) / std of ``normalise_``, kept as buffers so the export carries the numbers.
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images``: (N, C, H, W) or one (C, H, W); uint8 0..255 or float 0..1; C from 1 to 4; any H×W."""
        if images.dim() == 3:
            images = images.unsqueeze(0)
        adapted = adapt_batch(images, self.channels, self.height, self.width)
        return self.network((adapted - self.mean) / self.std)


@dataclass(frozen=True)
class Preprocessing:
    """What a trained network expects: its Input (C, H, W) and the training normalisation."""

    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    window: str = ""
    """How the training's high-bit-depth images were windowed, when the Input sets a window (the export
    does not window: it takes images already on 0..1 or 0..255)."""

    def around(self, network: nn.Module) -> WithPreprocessing:
        return WithPreprocessing(network, self.input_shape, self.mean, self.std)

    def onnx_example(self) -> torch.Tensor:
        """A uint8 RGB batch of another size than the Input's, so the export keeps the resize."""
        _, height, width = self.input_shape
        generator = torch.Generator().manual_seed(0)
        return torch.randint(0, 256, (2, ONNX_RAW_CHANNELS, height + 7, width + 5), dtype=torch.uint8,
                             generator=generator)

    def describe(self, format_name: str) -> str:
        """One sentence for people: what the exported file takes and what it does to it."""
        channels, height, width = self.input_shape
        colour = "grey" if channels == 1 else "RGB"
        steps = f"resizes to {height}×{width}, converts to {colour} and normalises as in training"
        windowed = (f" DICOM, NIfTI and 16-bit images must be windowed first as in training ({self.window}: "
                    "values from centre − width/2 to centre + width/2 become 0 to 1).") if self.window else ""
        if format_name == "onnx":
            return (f"The ONNX model takes raw images: uint8 RGB batches (N, 3, H, W) of any size (0..255), "
                    f"and {steps}.{windowed}")
        return (f"The TorchScript module takes raw images: uint8 (0..255) or float (0..1) tensors, "
                f"(N, C, H, W) or (C, H, W), grey, RGB or with alpha, of any size, and {steps}.{windowed}")


def preprocessing_of(graph_input_shape: Sequence[int], mean: Sequence[float],
                     std: Sequence[float], window=None) -> Preprocessing:
    """``window``: the Input's ``windowing.Window``; a preset or manual one is named in ``describe``."""
    named = window.describe() if window is not None and not window.from_file else ""
    return Preprocessing(check_input_shape(graph_input_shape), tuple(mean), tuple(std), named)
