"""A run's TensorBoard events (``torch.utils.tensorboard.SummaryWriter``): what ``tensorboard --logdir`` shows.

Scalars of every epoch metric and of the throttled batch reports, the
network graph once, the probe's feature maps and (for small networks)
weight histograms once per epoch. Nothing here may fail a run: a graph
that cannot be traced is skipped with a note.
"""
from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

MAX_HISTOGRAM_LAYERS = 20
MAX_HISTOGRAM_WEIGHTS = 2_000_000
"""Histograms cost a pass over every weight: only where that is cheap next to an epoch."""


class TensorBoardLog:
    def __init__(self, folder: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # imports tensorboard: only when a run starts

        # flush_secs: the per-epoch flush below makes the events visible; the writer's own timer only backs it up.
        self.writer = SummaryWriter(log_dir=str(folder), flush_secs=60)

    def graph(self, model: nn.Module, input_shape: tuple[int, ...]) -> str | None:
        """Adds the network graph (traced on one zero image); returns a note when it cannot."""
        modes = {module: module.training for module in model.modules()}
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        try:
            model.eval()  # no batch-norm statistics move, no dropout draws a random number: training is unchanged
            with warnings.catch_warnings(), torch.no_grad():
                warnings.simplefilter("ignore")  # tracer warnings about data-dependent shapes
                self.writer.add_graph(model, torch.zeros(1, *input_shape, device=device))
            return None
        except Exception as error:  # the tracer refuses some graphs; the run goes on without this picture
            first = (str(error).strip().splitlines() or [type(error).__name__])[0]
            return f"TensorBoard: the network graph was not written ({first[:160]})"
        finally:
            for module, training in modes.items():
                module.train(training)

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        for key, value in values.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                self.writer.add_scalar(f"{prefix}/{key}", value, step)

    def feature_maps(self, node: str, images, step: int) -> None:
        """``images``: uint8 (channels, h, w) from the probe, one grey picture per channel."""
        self.writer.add_images(f"feature_maps/{node}", images[:, None], step, dataformats="NCHW")

    def histograms(self, model: nn.Module, step: int) -> None:
        layers = [(name, module) for name, module in model.named_modules()
                  if any(True for _ in module.parameters(recurse=False))]
        if len(layers) > MAX_HISTOGRAM_LAYERS or sum(p.numel() for p in model.parameters()) > MAX_HISTOGRAM_WEIGHTS:
            return
        for name, module in layers:
            for key, parameter in module.named_parameters(recurse=False):
                self.writer.add_histogram(f"weights/{name}.{key}", parameter.detach().float().cpu(), step)

    def text(self, tag: str, text: str) -> None:
        self.writer.add_text(tag, text)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()
