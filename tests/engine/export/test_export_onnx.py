"""ONNX export: a checked model that onnxruntime runs like torch, at any batch size."""
from __future__ import annotations

import sys

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
from torch import nn

from engine.export import OPSET_VERSION, ExportError, export_onnx
from engine.export.onnx_format import EXPORTERS


def test_onnx_matches_torch_at_batch_1_and_3(tmp_path, model):
    path = export_onnx(model, torch.randn(1, 3, 16, 16), tmp_path / "model.onnx", input_name="image",
                       output_name="scores")

    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    assert [(opset.domain, opset.version) for opset in proto.opset_import if opset.domain == ""] == [
        ("", OPSET_VERSION)]
    assert [i.name for i in proto.graph.input] == ["image"] and [o.name for o in proto.graph.output] == ["scores"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch in (1, 3):
        inputs = torch.randn(batch, 3, 16, 16)
        (actual,) = session.run(None, {"image": inputs.numpy()})
        with torch.no_grad():
            expected = model(inputs).numpy()
        assert actual.shape == (batch, 5)
        np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=0)
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"], "one self-contained file, no .data beside it"


def test_missing_onnx_package_is_named_with_the_install_command(tmp_path, monkeypatch):
    # onnxruntime really is unimportable meanwhile: None in sys.modules makes `import` fail.
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ExportError) as refused:
        export_onnx(nn.Linear(4, 2), torch.randn(1, 4), tmp_path / "model.onnx")
    assert str(refused.value) == ("ONNX export needs the package(s) onnxruntime, which is not installed; "
                                  "install them with: pip install onnx onnxscript onnxruntime")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exporter", EXPORTERS)
def test_each_exporter_writes_a_model_that_matches_torch(tmp_path, model, exporter):
    path = export_onnx(model, torch.randn(1, 3, 16, 16), tmp_path / "model.onnx", exporters=(exporter,))
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    inputs = torch.randn(3, 3, 16, 16)
    (actual,) = session.run(None, {"input": inputs.numpy()})
    with torch.no_grad():
        np.testing.assert_allclose(actual, model(inputs).numpy(), atol=1e-4, rtol=0)


def test_the_faster_torchscript_based_exporter_is_tried_first(tmp_path, model):
    """The dynamo exporter took ~9.5 s for LeNet-5 here, the TorchScript-based one ~1 s (make bench)."""
    assert EXPORTERS[0] == "torchscript"
    names = {exporter: [node.name for node in onnx.load(str(export_onnx(
        model, torch.randn(1, 3, 16, 16), tmp_path / f"{exporter}.onnx", exporters=(exporter,)))).graph.node]
        for exporter in EXPORTERS}
    default = [node.name for node in onnx.load(str(export_onnx(model, torch.randn(1, 3, 16, 16),
                                                               tmp_path / "default.onnx"))).graph.node]
    assert names["torchscript"] != names["dynamo"]  # each exporter names its nodes its own way
    assert default == names["torchscript"]
