"""Small ONNX models written with onnx.helper: the tests' own, so each hostile variation is one change."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


def weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"conv.weight": rng.standard_normal((4, 3, 3, 3)).astype(np.float32),
            "conv.bias": rng.standard_normal(4).astype(np.float32),
            "fc.weight": rng.standard_normal((5, 4)).astype(np.float32),
            "fc.bias": rng.standard_normal(5).astype(np.float32)}


def small_model(*, dims=(1, 3, 8, 8), middle: list | None = None, opset: int = OPSET) -> onnx.ModelProto:
    """x → Conv(3→4, 3×3, pad 1) → [middle operators] → Relu → GlobalAveragePool → Flatten → Gemm(4→5)."""
    tensors = weights()
    middle = middle or []
    nodes = [helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="/conv/Conv",
                              kernel_shape=[3, 3], pads=[1, 1, 1, 1])]
    previous = "c"
    for index, (op_type, attrs) in enumerate(middle):
        nodes.append(helper.make_node(op_type, [previous], [f"m{index}"], name=f"/{op_type.lower()}{index}/{op_type}",
                                      **attrs))
        previous = f"m{index}"
    nodes += [helper.make_node("Relu", [previous], ["r"], name="/relu/Relu"),
              helper.make_node("GlobalAveragePool", ["r"], ["p"], name="/pool/GlobalAveragePool"),
              helper.make_node("Flatten", ["p"], ["f"], name="/Flatten", axis=1),
              helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["y"], name="/fc/Gemm", transB=1)]
    graph = helper.make_graph(
        nodes, "small", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(dims))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [dims[0], 5])],
        [numpy_helper.from_array(array, name) for name, array in tensors.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="tests")


def save(model: onnx.ModelProto, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def externalise(model: onnx.ModelProto, name: str, location: str, offset: int = 0,
                length: int | None = None) -> onnx.ModelProto:
    """Moves tensor ``name``'s bytes out of the model: to ``location`` (the test writes that file or not)."""
    tensor = next(t for t in model.graph.initializer if t.name == name)
    size = len(tensor.raw_data) if tensor.HasField("raw_data") else numpy_helper.to_array(tensor).nbytes
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", str(offset)), ("length", str(length or size))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value
    return model
