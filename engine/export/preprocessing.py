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

When the Input sets a preset or manual window (``engine.data.windowing``), the export takes what a
high-bit-depth file holds instead: values in the file's units (DICOM after rescale slope/intercept,
Hounsfield units for CT; a 16-bit PNG's raw values), one channel, and windows them as training did
before the adaptation. ONNX then takes float32 (N, 1, H, W). A file's own window differs per file, so
an export from such a project cannot carry it and still takes images already on 0..1.
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
                 std: Sequence[float], band: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.network = network
        self.channels, self.height, self.width = check_input_shape(input_shape)
        # windowing.apply_window's band (centre ± width/2 → 0..1), applied to raw values first when set
        self.windowed = band is not None
        centre, width = band if band is not None else (0.5, 1.0)
        width = max(float(width), 1e-6)
        self.register_buffer("window_low", torch.tensor(float(centre) - width / 2, dtype=torch.float32))
        self.register_buffer("window_width", torch.tensor(width, dtype=torch.float32))
        # The (x - mean) / std of ``normalise_``, kept as buffers so the export carries the numbers.
        self.register_buffer("mean", torch.tensor(list(mean), dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(list(std), dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``images``: (N, C, H, W) or one (C, H, W); uint8 0..255 or float 0..1; C from 1 to 4; any H×W.
        Windowed: any dtype, the values in the file's units."""
        if images.dim() == 3:
            images = images.unsqueeze(0)
        if self.windowed:
            images = ((images.to(torch.float32) - self.window_low) / self.window_width).clamp(0.0, 1.0)
        adapted = adapt_batch(images, self.channels, self.height, self.width)
        return self.network((adapted - self.mean) / self.std)


@dataclass(frozen=True)
class Preprocessing:
    """What a trained network expects: its Input (C, H, W) and the training normalisation."""

    input_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    window: str = ""
    """The Input's window named for people ("lung window (centre -600, width 1500)"); empty for none."""
    band: tuple[float, float] | None = None
    """(centre, width) the export applies to raw values (a preset or manual window); None: no windowing."""

    def around(self, network: nn.Module) -> WithPreprocessing:
        return WithPreprocessing(network, self.input_shape, self.mean, self.std, self.band)

    def onnx_example(self) -> torch.Tensor:
        """A batch of another size than the Input's, so the export keeps the resize: uint8 RGB, or for a
        windowed export float32 grey values spanning the window and beyond it on both sides."""
        _, height, width = self.input_shape
        generator = torch.Generator().manual_seed(0)
        if self.band is not None:
            centre, window_width = self.band
            unit = torch.rand((2, 1, height + 7, width + 5), generator=generator)
            return (centre + (unit * 4 - 2) * window_width).to(torch.float32)
        return torch.randint(0, 256, (2, ONNX_RAW_CHANNELS, height + 7, width + 5), dtype=torch.uint8,
                             generator=generator)

    def describe(self, format_name: str) -> str:
        """One sentence for people: what the exported file takes and what it does to it."""
        channels, height, width = self.input_shape
        colour = "grey" if channels == 1 else "RGB"
        steps = f"resizes to {height}×{width}, converts to {colour} and normalises as in training"
        if self.band is not None:
            values = ("high-bit-depth images as their values in the file's units (DICOM: after rescale "
                      "slope/intercept, Hounsfield units for CT; 16-bit PNG/TIFF: the raw values), one channel")
            what = ("float32 batches (N, 1, H, W)" if format_name == "onnx"
                    else "tensors of any dtype, (N, 1, H, W) or (1, H, W)")
            return (f"The {'ONNX model' if format_name == 'onnx' else 'TorchScript module'} takes {values}: {what} "
                    f"of any size; it applies the {self.window} as in training (centre − width/2 becomes 0, "
                    f"centre + width/2 becomes 1, as for MONOCHROME2 files), then {steps}.")
        if format_name == "onnx":
            return (f"The ONNX model takes raw images: uint8 RGB batches (N, 3, H, W) of any size (0..255), "
                    f"and {steps}.")
        return (f"The TorchScript module takes raw images: uint8 (0..255) or float (0..1) tensors, "
                f"(N, C, H, W) or (C, H, W), grey, RGB or with alpha, of any size, and {steps}.")


def preprocessing_of(graph_input_shape: Sequence[int], mean: Sequence[float],
                     std: Sequence[float], window=None) -> Preprocessing:
    """``window``: the Input's ``windowing.Window``; a preset or manual one is named in ``describe``."""
    named = window.describe() if window is not None and not window.from_file else ""
    band = window.band(None) if named else None
    return Preprocessing(check_input_shape(graph_input_shape), tuple(mean), tuple(std), named, band)
