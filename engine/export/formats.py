"""The export formats by name, and exporting a checkpoint to any of them.

This is what the ``export`` command and the app's Export dialog call: one
place knows each format's file name and how to produce it from a checkpoint.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from ..checkpoint import Checkpoint, build_model, save_checkpoint
from ..compiler import example_input, input_shape, input_window
from ..data import DatasetError
from ..tasks import task_for
from .common import ExportError
from .onnx_format import export_onnx
from .preprocessing import Preprocessing, preprocessing_of
from .python_format import export_python, weights_path_for
from .torchscript import export_torchscript


@dataclass(frozen=True)
class ExportFormat:
    name: str
    title: str
    # Appended to the checkpoint's stem for the default file name. The Python
    # export adds "_model" so that its weights (<stem>.pt) never overwrite
    # the checkpoint they come from.
    ending: str
    description: str


FORMATS: dict[str, ExportFormat] = {
    fmt.name: fmt for fmt in (
        ExportFormat("torchscript", "TorchScript", ".torchscript.pt",
                     "a traced module for torch.jit.load (C++ or Python, no ConvCanvas needed)"),
        ExportFormat("onnx", "ONNX", ".onnx",
                     "an ONNX model with a dynamic batch axis, checked with onnxruntime"),
        ExportFormat("python", "Python source", "_model.py",
                     "a standalone nn.Module source file plus its weights (.pt) beside it"),
        ExportFormat("checkpoint", "Checkpoint", ".export.pt",
                     "a ConvCanvas checkpoint (graph, weights, classes, normalisation, history)"),
    )
}


PREPROCESSING_FORMATS = ("torchscript", "onnx")
"""The formats that can take raw images (``export_checkpoint(..., preprocessing=True)``)."""


def default_export_path(checkpoint_path: str | os.PathLike, format_name: str) -> Path:
    """``runs/best.pt`` → ``runs/best.onnx`` (etc.): the export's default place, beside the checkpoint."""
    source = Path(checkpoint_path)
    stem = source.name[: -len(source.suffix)] if source.suffix else source.name
    return source.with_name(stem + FORMATS[format_name].ending)


def export_paths(format_name: str, path: str | os.PathLike) -> list[Path]:
    """Every file exporting to ``path`` writes (the Python export adds its weights)."""
    return [Path(path), weights_path_for(path)] if format_name == "python" else [Path(path)]


def export_checkpoint(checkpoint: Checkpoint, format_name: str, path: str | os.PathLike,
                      model: nn.Module | None = None, *, preprocessing: bool = False,
                      threshold: float | None = None) -> list[Path]:
    """Writes ``checkpoint`` as ``format_name`` to ``path``; returns the files written.

    ``model`` is the checkpoint's network if already built. ``preprocessing``
    (TorchScript and ONNX): the file takes raw images (see ``preprocessing``).
    ``threshold``: an embedding's verification threshold (default: the checkpoint's equal-error one), carried
    as ONNX metadata, a TorchScript extra file and the Python export's ``THRESHOLD``.
    Raises ``ExportError`` (or ``CheckpointError`` if the network cannot be built).
    """
    if format_name not in FORMATS:
        raise ValueError(f"unknown export format {format_name!r} (known: {', '.join(FORMATS)})")
    metrics = dict(checkpoint.metrics or {})
    if threshold is not None:
        metrics["val_threshold"] = threshold
    metadata = task_for(checkpoint.project.task).export_metadata(metrics)
    raw = raw_image_preprocessing(checkpoint, format_name) if preprocessing else None
    window = input_window(checkpoint.project.graph)
    band = None if window.from_file else window.band(None)  # a file's own window differs per file
    if format_name == "checkpoint":
        return [save_checkpoint(
            path, project=checkpoint.project, model_state=checkpoint.model_state,
            class_names=checkpoint.class_names, mean=checkpoint.mean, std=checkpoint.std,
            metrics=checkpoint.metrics, history=checkpoint.history, epoch=checkpoint.epoch,
            optimizer_state=checkpoint.optimizer_state, scheduler_state=checkpoint.scheduler_state,
            config=checkpoint.config, loss_state=checkpoint.loss_state)]
    if format_name == "python":
        return list(export_python(checkpoint.project, checkpoint.model_state, path,
                                  class_names=checkpoint.class_names, mean=checkpoint.mean, std=checkpoint.std,
                                  metadata=metadata, window_band=band))
    graph = checkpoint.project.graph
    model = model if model is not None else build_model(checkpoint)
    example = example_input(graph, batch=1)
    if format_name == "onnx":
        (input_node,), (output_node,) = graph.nodes_of_type("input"), graph.nodes_of_type("output")
        if raw is not None:
            model, example = raw.around(model), raw.onnx_example()
        return [export_onnx(model, example, path, input_name=input_node.name, output_name=output_node.name,
                            dynamic_size=raw is not None, metadata=metadata)]
    return [export_torchscript(model, example, path, checkpoint.project, raw, metadata=metadata)]


def raw_image_preprocessing(checkpoint: Checkpoint, format_name: str) -> Preprocessing:
    """The preprocessing an export with raw-image input carries; ``ExportError`` where it cannot."""
    if format_name not in PREPROCESSING_FORMATS:
        raise ExportError(f"only TorchScript and ONNX exports can include the preprocessing, not "
                          f"{FORMATS[format_name].title}")
    try:
        return preprocessing_of(input_shape(checkpoint.project.graph), checkpoint.mean, checkpoint.std,
                                input_window(checkpoint.project.graph))
    except DatasetError as error:
        raise ExportError(f"the preprocessing cannot be included: {error}") from None
