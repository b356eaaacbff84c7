"""Presets exported to ONNX by ConvCanvas and imported back: the same input and output shapes, the same task,
and the same outputs within 1e-5 (weights random, seeded). The largest classic presets (AlexNet, VGG-11/16,
ResNet-34/50: 22–138 M parameters, minutes each on two cores) go through the same code in
``scripts/onnx_round_trips.py``; their block kinds are covered here by ResNet-18, RegNetY and ConvNeXt."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import analyze, compile_graph, load_project
from engine.compiler import example_input
from engine.export.onnx_format import export_onnx
from engine.importer import import_onnx

PRESETS = Path(__file__).resolve().parents[3] / "presets"
LARGE = {"alexnet", "vgg11", "vgg16", "resnet34", "resnet50"}
NAMES = sorted(path.name.removesuffix(".cnn.json") for path in PRESETS.glob("*.cnn.json")
               if path.name.removesuffix(".cnn.json") not in LARGE)


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
