"""``import_onnx``: an ONNX file as an editable project with its weights, checked against onnxruntime."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..convert import EXAMPLE_BATCH, ImportResult, import_traced, validate_input_shape
from ..errors import ModelImportError
from ..tracing import propagate_shapes
from .building import OnnxGraphBuilder
from .operators import OPERATORS
from .reading import OnnxModel, read_onnx

TOLERANCE = 1e-4
"""Largest difference from onnxruntime's output allowed, relative to the output's scale."""


def declared_input(model: OnnxModel) -> list[int | str | None]:
    """The input's dims as the file declares them: numbers, or names/None where they vary."""
    inputs = [value for value in model.graph.input if value.name not in model.tensors]
    if len(inputs) != 1:
        names = ", ".join(value.name for value in inputs) or "none"
        raise ModelImportError(f"{model.path}: takes {len(inputs)} inputs ({names}); a ConvCanvas network takes "
                               "one image")
    dims = inputs[0].type.tensor_type.shape.dim
    return [dim.dim_value if dim.HasField("dim_value") else (dim.dim_param or None) for dim in dims]


def input_shape_for(model: OnnxModel, chosen) -> tuple[int, int, int]:
    """The C×H×W to import at: the file's own, or the one chosen (which must agree with what is fixed)."""
    dims = declared_input(model)
    if len(dims) != 4:
        raise ModelImportError(f"{model.path}: its input has {len(dims)} axes; a ConvCanvas network takes images "
                               "(batch × channels × height × width)")
    fixed = [dim if isinstance(dim, int) and dim > 0 else None for dim in dims[1:]]
    if chosen is None:
        if None in fixed:
            shown = "×".join(str(dim) if dim else "?" for dim in fixed)
            raise ModelImportError(f"{model.path}: its input size is not fixed ({shown}); choose one, e.g. "
                                   "--input 3x224x224")
        return validate_input_shape(fixed)
    chosen = validate_input_shape(chosen)
    for axis, have, want in zip(("channels", "height", "width"), fixed, chosen):
        if have is not None and have != want:
            raise ModelImportError(f"{model.path}: the model's input {axis} is fixed at {have}, not {want}; leave "
                                   "the input size out to import it at its own")
    return chosen


def import_onnx(path: str | os.PathLike, input_shape=None) -> ImportResult:
    """``path`` read as data (``reading``), rebuilt as torch layers, imported, and checked: the imported
    network gives onnxruntime's output on a test input."""
    path = Path(path).expanduser()
    model = read_onnx(path)
    shape = input_shape_for(model, input_shape)
    example = torch.randn(EXAMPLE_BATCH, *shape, generator=torch.Generator().manual_seed(0))
    traced = OnnxGraphBuilder(model, shape, example).build(OPERATORS)
    title = path.stem
    reference = propagate_shapes(traced, example, title)
    result = import_traced(traced, shape, example, reference, name=title,
                           description=f"{path.name}, imported from ONNX (opset {model.opset}"
                                       + (f", written by {model.producer}" if model.producer else "") + ").")
    _check_with_onnxruntime(model, example, reference)
    result.notes.append(f"imported from ONNX opset {model.opset}; outputs match onnxruntime's on a test input")
    return result


def _check_with_onnxruntime(model: OnnxModel, example: torch.Tensor, reference: torch.Tensor) -> None:
    """The translation, run by torch, against the file run by onnxruntime (an independent reading of it)."""
    import onnxruntime

    proto = _self_contained(model)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = 1
    try:
        session = onnxruntime.InferenceSession(proto.SerializeToString(), options,
                                               providers=["CPUExecutionProvider"])
        feed = session.get_inputs()[0].name
        batch = session.get_inputs()[0].shape[0]
        parts = [example[i:i + 1] for i in range(len(example))] if batch == 1 else [example]
        expected = np.concatenate([session.run(None, {feed: part.numpy()})[0] for part in parts])
    except Exception as error:  # noqa: BLE001 - onnxruntime raises its own kinds for models it rejects
        reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
        raise ModelImportError(f"{model.path}: onnxruntime cannot run it to check the import ({reason})") from None
    got = reference.detach().numpy()
    scale = max(1.0, float(np.abs(expected).max())) if expected.size else 1.0
    difference = float(np.abs(got - expected).max()) if got.shape == expected.shape else float("inf")
    if not difference <= TOLERANCE * scale:
        raise ModelImportError(f"{model.path}: the imported network does not compute what onnxruntime computes "
                               f"(largest difference {difference:.3g}); this is a ConvCanvas bug, please report it "
                               "with the model")


def _self_contained(model: OnnxModel):
    """The model with every tensor inside it (read, within bounds, by ``reading``), so that onnxruntime reads
    no file at all."""
    import onnx
    from onnx import numpy_helper

    proto = onnx.ModelProto()
    proto.CopyFrom(model.proto)
    for index, tensor in enumerate(proto.graph.initializer):
        if tensor.data_location == onnx.TensorProto.EXTERNAL:
            proto.graph.initializer[index].CopyFrom(numpy_helper.from_array(model.tensors[tensor.name], tensor.name))
    return proto
