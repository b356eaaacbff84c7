"""Presets exported to ONNX by ConvCanvas and imported back: the same input and output shapes, the same task,
and the same outputs within 1e-5 (weights random, seeded). One preset per kind of network and task runs here;
the others (AlexNet, VGG, the ResNets, the modern families, U-Net and the ResNet-18 detector: 5–138 M
parameters, a minute or more each on two cores) go through the same code in ``scripts/onnx_round_trips.py``,
and their block kinds are imported from torchvision's own exports in ``test_onnx_torchvision``."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import analyze, compile_graph, load_project
from engine.compiler import example_input
from engine.export.onnx_format import export_onnx
from engine.importer import import_onnx

PRESETS = Path(__file__).resolve().parents[3] / "presets"
NAMES = ["lenet5", "tinycnn", "resnet8", "mobilenet-v3-small", "unet-small", "fcn", "detector-small",
         "face-embedder-small"]


def ends(graph, task):
    reports = analyze(graph, task=task).nodes
    return reports["input"].output_shape, reports["output"].input_shapes


@pytest.mark.parametrize("name", NAMES)
def test_a_preset_exported_to_onnx_imports_back_computing_the_same(tmp_path, name):
    project = load_project(PRESETS / f"{name}.cnn.json")
    torch.manual_seed(0)
    model = compile_graph(project.graph).eval()
    path = export_onnx(model, example_input(project.graph), tmp_path / f"{name}.onnx")
    result = import_onnx(path)
    imported = result.project
    assert imported.task == project.task
    assert ends(imported.graph, imported.task) == ends(project.graph, project.task)
    assert analyze(imported.graph, task=imported.task).valid
    copy = compile_graph(imported.graph).eval()
    copy.load_state_dict(result.state_dict)
    batch = torch.randn(2, *example_input(project.graph).shape[1:], generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert torch.allclose(copy(batch), model(batch), atol=1e-5, rtol=1e-5)
