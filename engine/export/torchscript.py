"""TorchScript export: a ``.pt`` archive that ``torch.jit.load`` runs without ConvCanvas.

The compiled network is traced rather than scripted: ``torch.jit.script``
cannot compile the Add/Concat helpers the fx graph calls (they take a Python
list), while tracing records plain aten ops. A ConvCanvas graph has no
data-dependent control flow, so the trace is exact, and it stays batch-size
agnostic because Flatten/Linear/cat are traced as shape-generic ops.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import torch
from torch import nn

from ..fileio import atomic_write
from .common import ExportError, evaluation_mode, first_line


def export_torchscript(model: nn.Module, example_input: torch.Tensor, path: str | os.PathLike) -> Path:
    """Traces ``model`` (in eval mode) on ``example_input`` and writes it atomically to ``path``."""
    with evaluation_mode(model), warnings.catch_warnings():
        # torch 2.x marks torch.jit as deprecated; the format is still what many
        # deployments load, so exporting it is deliberate: keep the CLI quiet.
        warnings.filterwarnings("ignore", message=r".*torch\.jit.* is deprecated", category=FutureWarning)
        try:
            with torch.no_grad():
                traced = torch.jit.trace(model, example_input)
        except Exception as error:  # tracing failures come as many torch exception kinds
            raise ExportError(f"TorchScript tracing failed: {first_line(error)}") from error
        return atomic_write(path, lambda temp: torch.jit.save(traced, str(temp)))
