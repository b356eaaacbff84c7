"""ONNX export, checked before the file lands.

The written model is one self-contained file (no ``.onnx.data`` beside it,
which would be named after the temp file), passes ``onnx.checker`` and gives
the same outputs as torch under onnxruntime; otherwise nothing is written.

Two exporters, fastest first: torch's TorchScript-based one (about 0.7 s for
LeNet-5), then, if it is gone (torch deprecates it), fails or its file does not
pass the checks, the dynamo exporter (about 5 s, and ~12 s the first time in a
process: it rebuilds onnxscript's op registry and runs torch.export's
decompositions on every call). Both results pass the same verification.
"""
from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from torch import nn

from ..fileio import atomic_write
from .common import ExportError, evaluation_mode, first_line

# Opset 18 is what the dynamo exporter translates to natively and what every
# onnxruntime since 1.14 (and most other runtimes) reads.
OPSET_VERSION = 18
ONNX_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
INSTALL_COMMAND = "pip install onnx onnxscript onnxruntime"
# Tried in this order: the TorchScript-based exporter is ~8× faster; the dynamo one is torch's future.
EXPORTERS = ("torchscript", "dynamo")
# ONNX and torch kernels round differently; more than this is a wrong export.
TOLERANCE = 1e-4


def require_onnx_packages() -> dict[str, ModuleType]:
    """The ONNX packages by name; ``ExportError`` naming any that cannot be imported."""
    modules, missing = {}, []
    for name in ONNX_PACKAGES:
        try:
            modules[name] = importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise ExportError(f"ONNX export needs the package(s) {', '.join(missing)}, which {verb} not installed; "
                          f"install them with: {INSTALL_COMMAND}")
    return modules


def export_onnx(
    model: nn.Module,
    example_input: torch.Tensor,
    path: str | os.PathLike,
    dynamic_batch: bool = True,
    *,
    input_name: str = "input",
    output_name: str = "output",
    exporters: tuple[str, ...] = EXPORTERS,
    dynamic_size: bool = False,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Exports ``model`` (in eval mode) to ONNX at ``path``, verified with onnxruntime.

    With ``dynamic_batch`` the first dimension is a named ``batch`` axis, so
    the file accepts any batch size; otherwise it is fixed to the example's.
    ``exporters`` are tried in order until one's file passes the checks.
    ``dynamic_size`` makes the height and width axes dynamic too (raw images).
    ``metadata`` goes into the model's ``metadata_props`` (an embedding's threshold).
    """
    modules = require_onnx_packages()
    if example_input.dim() < 1 or example_input.shape[0] < 1:
        raise ExportError(f"the example input needs a batch of at least one, got shape {tuple(example_input.shape)}")
    example = example_input.detach().cpu()
    if dynamic_batch and example.shape[0] == 1:
        # torch.export specialises dimensions of size 1, so trace with a batch of two.
        example = example.repeat(2, *[1] * (example.dim() - 1))
    with evaluation_mode(model), torch.no_grad():
        batches = [example[:1], example] if dynamic_batch else [example]
        expected = [model(batch).numpy() for batch in batches]
    cases = list(zip(batches, expected))

    def write(temp: Path) -> None:
        for index, exporter in enumerate(exporters):
            try:
                with evaluation_mode(model):
                    if exporter == "torchscript":
                        _export_torchscript_based(model, example, temp, dynamic_batch, dynamic_size,
                                                  input_name, output_name)
                    else:
                        _export_dynamo(model, example, dynamic_batch, dynamic_size, input_name,
                                       output_name).save(str(temp), external_data=False)
                if metadata:
                    add_metadata(temp, modules["onnx"], metadata)
                verify_onnx(temp, modules, input_name, cases)
                return
            except Exception:
                if index == len(exporters) - 1:
                    raise
                # Gone from this torch, or a network it cannot translate or reproduce: the next one.

    return atomic_write(path, write)


def add_metadata(path: Path, onnx: ModuleType, metadata: dict[str, str]) -> None:
    """Writes ``metadata`` into the ONNX file's ``metadata_props`` (read back with onnx or onnxruntime's
    ``get_modelmeta().custom_metadata_map``)."""
    model = onnx.load(str(path))
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))


def _export_torchscript_based(model: nn.Module, example: torch.Tensor, path: Path, dynamic_batch: bool,
                              dynamic_size: bool, input_name: str, output_name: str) -> None:
    input_axes = {**({0: "batch"} if dynamic_batch else {}), **({2: "height", 3: "width"} if dynamic_size else {})}
    output_axes = {0: "batch"} if dynamic_batch else {}
    axes = {input_name: input_axes, output_name: output_axes} if input_axes else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice: the dynamo exporter is the fallback
        torch.onnx.export(model, (example,), str(path), dynamo=False, opset_version=OPSET_VERSION,
                          input_names=[input_name], output_names=[output_name], dynamic_axes=axes)


def _export_dynamo(model: nn.Module, example: torch.Tensor, dynamic_batch: bool, dynamic_size: bool,
                   input_name: str, output_name: str):
    dynamic_shapes = ({0: torch.export.Dim("batch", min=1)},) if dynamic_batch else None
    if dynamic_size:
        dynamic_shapes = ({**(dynamic_shapes[0] if dynamic_shapes else {}),
                           2: torch.export.Dim("height", min=2), 3: torch.export.Dim("width", min=2)},)
    try:
        return torch.onnx.export(
            model, (example,), dynamo=True, opset_version=OPSET_VERSION, dynamic_shapes=dynamic_shapes,
            input_names=[input_name], output_names=[output_name], verbose=False,
        )
    except Exception as error:  # the exporter raises many kinds (export, translation, onnxscript)
        raise ExportError(f"ONNX export failed: {first_line(error)}") from error


def verify_onnx(path: Path, modules: dict[str, ModuleType], input_name: str,
                cases: list[tuple[torch.Tensor, np.ndarray]]) -> None:
    """``onnx.checker`` passes and onnxruntime reproduces each expected output."""
    onnx, onnxruntime = modules["onnx"], modules["onnxruntime"]
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as error:  # ValidationError, or shape inference errors
        raise ExportError(f"the exported ONNX model is not valid: {first_line(error)}") from error
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: keep onnxruntime's warnings off the terminal
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    for batch, expected in cases:
        (actual,) = session.run(None, {input_name: batch.numpy()})
        difference = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
        if actual.shape != expected.shape or not difference <= TOLERANCE * max(1.0, float(np.max(np.abs(expected)))):
            raise ExportError(f"the ONNX model disagrees with PyTorch under onnxruntime (batch {batch.shape[0]}: "
                              f"largest difference {difference:.3g}); the network may use an operation ONNX "
                              "does not reproduce")
