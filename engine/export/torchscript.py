"""TorchScript export: a ``.pt`` archive that ``jit.load`` runs without ConvCanvas.

The compiled network is traced rather than scripted: ``torch.jit.script``
cannot compile the Add/Concat helpers the fx graph calls (they take a Python
list), while tracing records plain aten ops. A ConvCanvas graph has no
data-dependent control flow, so the trace is exact, and it stays batch-size
agnostic because Flatten/Linear/cat are traced as shape-generic ops.

The archive also carries the project (the same JSON a project file holds) as
an extra file, so ConvCanvas can import the export back as an editable
network; ``jit.load`` ignores it. ConvCanvas itself never loads a
TorchScript file: ``torchscript_archive`` reads its own exports as data.
"""
from __future__ import annotations

import io
import json
import os
import warnings
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from ..fileio import atomic_write_bytes
from ..project import Project, dumps_project
from .common import ExportError, evaluation_mode, first_line
from .preprocessing import Preprocessing, WithPreprocessing
from .torchscript_archive import PROJECT_ENTRY

METADATA_ENTRY = "metadata.json"
"""The archive's extra file with what the task exports beside the network (an embedding's threshold)."""


@contextmanager
def _quiet_jit():
    # torch 2.x marks torch.jit as deprecated; the format is still what many
    # deployments load, so using it is deliberate: keep the CLI quiet.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit.* is deprecated", category=FutureWarning)
        yield


def export_torchscript(model: nn.Module, example_input: torch.Tensor, path: str | os.PathLike,
                       project: Project | None = None, preprocessing: Preprocessing | None = None,
                       metadata: dict[str, str] | None = None) -> Path:
    """Traces ``model`` (in eval mode) on ``example_input`` and writes it atomically to ``path``,
    with ``project`` (the network ``model`` was compiled from) inside for importing it back.
    With ``preprocessing`` the file takes raw images (``WithPreprocessing``, compiled around the trace).
    ``metadata`` (an embedding's threshold) is the extra file ``metadata.json``."""
    with evaluation_mode(model), _quiet_jit():
        try:
            with torch.no_grad():
                traced = torch.jit.trace(model, example_input)
            if preprocessing is not None:
                traced = torch.jit.script(preprocessing.around(traced).eval())
        except Exception as error:  # tracing failures come as many torch exception kinds
            raise ExportError(f"TorchScript tracing failed: {first_line(error)}") from error
        extra = {PROJECT_ENTRY: dumps_project(project)} if project is not None else {}
        if metadata:
            extra[METADATA_ENTRY] = json.dumps(metadata, indent=2)
        # To memory first: torch's C++ file writer aborts the whole process on a full disk.
        buffer = io.BytesIO()
        torch.jit.save(traced, buffer, _extra_files=extra)
    return atomic_write_bytes(path, buffer.getbuffer())

