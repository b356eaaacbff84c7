"""torchvision's models exported with torch.onnx.export (both exporters, opsets 11 to the newest) import with
outputs equal to onnxruntime's, grouped into blocks where the names show the modules; what cannot be
translated is refused with every operator named, located and counted by kind."""
from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest
import torch
import torchvision
from onnx import helper

from engine import analyze, compile_graph
from engine.importer import ModelImportError, import_onnx

from .models import save, small_model

SIZE = 64


def export(model_name: str, path, *, dynamo: bool, opset: int | None = None, size: int = SIZE):
    torch.manual_seed(0)
    model = torchvision.models.get_model(model_name, weights=None).eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, size, size),), str(path), dynamo=dynamo,
                          **({"opset_version": opset} if opset else {}))
    return path


def onnxruntime_output(path, batch: np.ndarray) -> np.ndarray:
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: batch[i:i + 1]})[0] for i in range(len(batch))])


def imported_output(result, batch: np.ndarray) -> np.ndarray:
    model = compile_graph(result.project.graph).eval()
    model.load_state_dict(result.state_dict)
    with torch.no_grad():
        return model(torch.from_numpy(batch)).numpy()


CASES = [  # (model, exporter, opset, input size, the composite block type its names give)
    ("resnet18", "legacy", 11, SIZE, "Block64"),
    ("mobilenet_v2", "legacy", 17, SIZE, "Block16"),
    ("efficientnet_b0", "legacy", 13, SIZE, "Block16"),
    ("convnext_tiny", "dynamo", None, SIZE, "CNBlock96"),  # torch's default exporter: classes in its metadata
    ("vgg11_bn", "legacy", 17, 224, None),  # its adaptive pooling to 7×7 exports only from 224
]


class LayerNorm2dGelu(torch.nn.Module):
    """ConvNeXt's LayerNorm2d and exact GELU, which exporters before opsets 17 and 20 spell out."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.norm = torch.nn.LayerNorm(8, eps=1e-6)
        self.act = torch.nn.GELU()
        self.head = torch.nn.Linear(8, 4)

    def forward(self, x):
        x = self.norm(self.conv(x).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return self.head(self.act(x).mean((2, 3)))


@pytest.mark.parametrize("opset", [11, 17])
def test_layernorm_and_gelu_written_operator_by_operator_import_as_one_layer_each(tmp_path, opset):
    torch.manual_seed(0)
    model = LayerNorm2dGelu().eval()
    with torch.no_grad():
        model.norm.weight.uniform_(0.5, 1.5)
        model.norm.bias.uniform_(-0.5, 0.5)
    path = tmp_path / "ln_gelu.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(1, 3, 16, 16),), str(path), dynamo=False, opset_version=opset)
    assert "Erf" in {node.op_type for node in onnx.load(str(path)).graph.node}
    result = import_onnx(path)
    types = [node.type for node in result.project.graph.nodes.values()]
    assert types.count("layernorm2d") == 1 and "activation" in types
    batch = np.random.default_rng(1).standard_normal((2, 3, 16, 16)).astype(np.float32)
    expected = onnxruntime_output(path, batch)
    assert np.abs(imported_output(result, batch) - expected).max() <= 1e-5


@pytest.mark.parametrize("model_name, exporter, opset, size, block_type", CASES,
                         ids=[f"{case[0]}-{case[1]}{case[2] or ''}" for case in CASES])
def test_torchvision_exports_import_with_onnxruntimes_outputs(tmp_path, model_name, exporter, opset, size,
                                                             block_type):
    path = export(model_name, tmp_path / f"{model_name}.onnx", dynamo=exporter == "dynamo", opset=opset, size=size)
    result = import_onnx(path)
    batch = np.random.default_rng(1).standard_normal((2, 3, size, size)).astype(np.float32)
    expected = onnxruntime_output(path, batch)
    assert np.abs(imported_output(result, batch) - expected).max() <= 1e-4 * max(1.0, np.abs(expected).max())
    graph = result.project.graph
    assert analyze(graph).valid and analyze(graph).nodes["output"].input_shapes == [(1000,)]
    if block_type:
        assert block_type in {group.type for group in graph.groups.values()}
    assert any("onnxruntime" in note for note in result.notes)


@pytest.mark.parametrize("opset", range(11, onnx.defs.onnx_opset_version() + 1, 3))
def test_each_opset_from_11_to_the_newest_onnx_knows_imports(tmp_path, opset):
    newest = opset if opset + 3 <= onnx.defs.onnx_opset_version() else onnx.defs.onnx_opset_version()
    model = onnx.version_converter.convert_version(small_model(opset=11), newest)
    result = import_onnx(save(model, tmp_path / "newest.onnx"))
    assert f"opset {newest}" in result.project.description


def test_a_model_whose_size_varies_imports_at_the_size_chosen(tmp_path):
    path = save(small_model(dims=("batch", 3, "height", "width")), tmp_path / "dynamic.onnx")
    with pytest.raises(ModelImportError, match=r"not fixed \(3×\?×\?\).*--input"):
        import_onnx(path)
    result = import_onnx(path, (3, 20, 24))
    assert analyze(result.project.graph).nodes["input"].output_shape == (3, 20, 24)
    with pytest.raises(ModelImportError, match="channels is fixed at 3, not 1"):
        import_onnx(path, (1, 20, 24))


def test_unknown_operators_are_each_named_located_and_counted_by_kind(tmp_path):
    middle = [("Erf", {}), ("Sin", {}), ("Erf", {}), ("Softplus", {})]
    path = save(small_model(middle=middle), tmp_path / "strange.onnx")
    with pytest.raises(ModelImportError) as caught:
        import_onnx(path)
    error = caught.value
    assert "4 of its operators (3 kinds)" in error.summary
    by_kind = {item.name: item for item in error.unsupported}
    assert set(by_kind) == {"Erf (opset 17)", "Sin (opset 17)", "Softplus (opset 17)"}
    assert by_kind["Erf (opset 17)"].location == "/erf0/Erf, /erf2/Erf"
    assert str(error).count("\n") == 3  # the summary and one line per kind


def test_an_operator_set_newer_than_onnx_knows_is_refused(tmp_path):
    model = small_model()
    model.opset_import[0].version = 999
    with pytest.raises(ModelImportError, match="operator set 999"):
        import_onnx(save(model, tmp_path / "future.onnx"))


def test_a_custom_domain_operator_is_named_with_its_domain(tmp_path):
    model = small_model()
    model.graph.node[1].domain = "com.example"
    model.opset_import.append(helper.make_opsetid("com.example", 1))
    with pytest.raises(ModelImportError) as caught:
        import_onnx(save(model, tmp_path / "custom.onnx"))
    assert [item.name for item in caught.value.unsupported] == ["com.example.Relu"]


def test_import_list_check_states_what_onnx_import_reads():
    from engine.cli.import_model import onnx_coverage

    line = onnx_coverage()
    assert f"opsets 7–{onnx.defs.onnx_opset_version()}" in line
    assert all(name in line for name in ("Conv", "Gemm", "Resize", "LayerNormalization", "HardSwish"))


def test_the_block_guide_lists_exactly_the_operators_translated():
    from engine.importer.onnx.coverage import BECOMES
    from engine.importer.onnx.operators import OPERATORS

    assert set(BECOMES) == set(OPERATORS)
