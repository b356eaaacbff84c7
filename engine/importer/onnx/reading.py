"""An ONNX file read as data, within stated bounds, from its own folder only.

An ONNX model is a protobuf message; its tensors are inside it or in files
beside it (``external data``: a location, an offset and a length). A hostile
file can point those outside its folder, claim tensors larger than the data
behind them, or hold millions of nodes; each is refused in one line before
anything is allocated for it.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from ...reading import GB, RefusedFile, open_regular, read_limited, size_text
from ..errors import ModelImportError

MAX_ONNX_FILE_BYTES = 2 * GB
"""protobuf cannot hold a message over 2 GB: larger models keep their tensors in external data files."""
MAX_TENSOR_BYTES = 4 * GB
"""All of a model's tensors together (ConvNeXt-XL's weights are 1.4 GB): the most an import allocates."""
MAX_NODES = 100_000
"""Operators in one graph: ResNet-152 has ~500, the largest torchvision CNN ~1,500."""

_DTYPES = {1: np.float32, 2: np.uint8, 3: np.int8, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_,
           10: np.float16, 11: np.float64}
"""ONNX TensorProto data types ConvCanvas reads (weights, shapes, axes); others are refused by name."""


@dataclass
class OnnxModel:
    path: Path
    proto: object
    """The ``onnx.ModelProto`` as parsed (external tensors not loaded into it)."""
    graph: object
    """The ``onnx.GraphProto`` (its tensors are read into ``tensors``; do not read them from here)."""
    opset: int
    tensors: dict[str, np.ndarray] = field(default_factory=dict)
    """Every initializer and Constant output by name, as arrays."""
    producer: str = ""


def read_onnx(path: str | os.PathLike) -> OnnxModel:
    """``path`` parsed and its tensors read; ``ModelImportError`` names the file and the problem."""
    import onnx
    from google.protobuf.message import DecodeError

    path = Path(path).expanduser()
    data = read_limited(path, "an ONNX model", MAX_ONNX_FILE_BYTES, ModelImportError)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError):
        raise ModelImportError(f"{path}: not an ONNX model (it is damaged or another kind of file)") from None
    del data
    if not model.HasField("graph") or not model.graph.node or not model.opset_import:
        raise ModelImportError(f"{path}: not an ONNX model (no graph of operators in it)")
    graph = model.graph
    if len(graph.node) > MAX_NODES:
        raise ModelImportError(f"{path}: holds {len(graph.node):,} operators; ConvCanvas imports networks of at "
                               f"most {MAX_NODES:,}")
    opset = _opset(model, path)
    budget = _Budget(path)
    tensors = {tensor.name: _array(tensor, path, budget) for tensor in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
            tensors[node.output[0]] = _constant(node, path, budget)
    return OnnxModel(path, model, graph, opset, tensors, f"{model.producer_name} {model.producer_version}".strip())


def _opset(model, path: Path) -> int:
    import onnx.defs

    versions = [entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")]
    if not versions:
        raise ModelImportError(f"{path}: uses no standard ONNX operator set (only custom domains)")
    newest = onnx.defs.onnx_opset_version()
    if not 7 <= versions[0] <= newest:
        raise ModelImportError(f"{path}: uses ONNX operator set {versions[0]}; ConvCanvas reads sets 7 to {newest}")
    return versions[0]


class _Budget:
    """What the model's tensors may allocate, all together (``MAX_TENSOR_BYTES``)."""

    def __init__(self, path: Path) -> None:
        self.path, self.left = path, MAX_TENSOR_BYTES

    def take(self, name: str, size: int) -> None:
        if size > self.left:
            raise ModelImportError(f"{self.path}: tensor {name!r} would take the model past "
                                   f"{size_text(MAX_TENSOR_BYTES)} of tensors, the most ConvCanvas imports")
        self.left -= size


def _array(tensor, path: Path, budget: _Budget) -> np.ndarray:
    name = tensor.name or "(unnamed)"
    dtype = _DTYPES.get(tensor.data_type)
    if dtype is None:
        raise ModelImportError(f"{path}: tensor {name!r} has data type {tensor.data_type}, which ConvCanvas does not "
                               "read (it reads float, integer and boolean tensors)")
    if any(size < 0 for size in tensor.dims):
        raise ModelImportError(f"{path}: tensor {name!r} has a negative size {list(tensor.dims)}")
    count = math.prod(tensor.dims)
    size = count * np.dtype(dtype).itemsize
    budget.take(name, size)
    if tensor.data_location == 1:  # TensorProto.EXTERNAL
        raw = _external_bytes(tensor, path, size)
    elif tensor.HasField("raw_data"):
        raw = tensor.raw_data
        if len(raw) != size:
            raise ModelImportError(f"{path}: tensor {name!r} claims {count:,} values but holds {len(raw):,} bytes "
                                   f"(it needs {size:,}); the file is damaged")
    else:
        return _typed_values(tensor, dtype, count, path)
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).reshape(tuple(tensor.dims)).astype(dtype)


def _typed_values(tensor, dtype, count: int, path: Path) -> np.ndarray:
    """A tensor stored in protobuf's typed fields (small constants, older exporters)."""
    from onnx import numpy_helper

    stored = max(len(tensor.float_data), len(tensor.int32_data), len(tensor.int64_data), len(tensor.double_data),
                 len(tensor.uint64_data))
    if stored != count:
        raise ModelImportError(f"{path}: tensor {tensor.name!r} claims {count:,} values but holds {stored:,}; "
                               "the file is damaged")
    return np.asarray(numpy_helper.to_array(tensor), dtype=dtype)


def _external_bytes(tensor, path: Path, size: int) -> bytes:
    """The bytes of an external tensor, from a regular file inside the model's folder only."""
    entries = {entry.key: entry.value for entry in tensor.external_data}
    name = tensor.name or "(unnamed)"
    location = entries.get("location", "")
    folder = path.resolve().parent
    relative = PurePosixPath(location.replace("\\", "/"))
    if not location or relative.is_absolute() or ".." in relative.parts or ":" in location:
        raise ModelImportError(f"{path}: tensor {name!r} points outside the model's folder ({location!r}); "
                               "ConvCanvas reads external data only from files beside the model")
    target = folder / relative
    if not target.resolve().is_relative_to(folder):
        raise ModelImportError(f"{path}: tensor {name!r} points outside the model's folder ({location!r} leads "
                               "elsewhere through a link); ConvCanvas reads external data only from files beside "
                               "the model")
    try:
        offset = int(entries.get("offset", "0"))
        length = int(entries.get("length", str(size)))
    except ValueError:
        raise ModelImportError(f"{path}: tensor {name!r} has an unreadable offset or length") from None
    if length != size or offset < 0:
        raise ModelImportError(f"{path}: tensor {name!r} needs {size:,} bytes but its external data says "
                               f"{length:,} at offset {offset:,}; the file is damaged")
    try:
        with open_regular(target, "an ONNX tensor data file", MAX_TENSOR_BYTES) as handle:
            return _read_span(handle, path, name, location, offset, size)
    except RefusedFile as refused:
        raise ModelImportError(f"{path}: tensor {name!r}: its data file {refused}") from None


def _read_span(handle, path: Path, name: str, location: str, offset: int, size: int) -> bytes:
    end = os.fstat(handle.fileno()).st_size
    if offset + size > end:
        raise ModelImportError(f"{path}: tensor {name!r} lies past the end of its data file {location} "
                               f"({offset + size:,} of {end:,} bytes); that file is truncated")
    handle.seek(offset)
    return handle.read(size)


def _constant(node, path: Path, budget: _Budget) -> np.ndarray:
    from onnx import helper

    for attribute in node.attribute:
        if attribute.name == "value":
            return _array(attribute.t, path, budget)
        if attribute.name in ("value_float", "value_int", "value_floats", "value_ints"):
            value = helper.get_attribute_value(attribute)
            dtype = np.float32 if "float" in attribute.name else np.int64
            array = np.asarray(value, dtype=dtype)
            budget.take(node.output[0], array.nbytes)
            return array
    raise ModelImportError(f"{path}: constant {node.name or node.output[0]!r} holds a kind of value ConvCanvas "
                           "does not read (a string or sparse tensor)")
