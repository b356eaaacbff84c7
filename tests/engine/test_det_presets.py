"""The detection presets: valid detectors for det-shapes; the ResNet-18 one takes torchvision's weights."""
from __future__ import annotations

from pathlib import Path

import torch
import torchvision

from engine import analyze, compile_graph, load_project
from engine.weights import match_weights

PRESETS = Path(__file__).resolve().parents[2] / "presets"


def test_detector_small_gives_seven_maps_at_a_quarter_of_the_input():
    project = load_project(PRESETS / "detector-small.cnn.json")
    assert project.task == "detection" and project.training.dataset == "det-shapes"
    report = analyze(project.graph, task="detection")
    assert report.valid
    model = compile_graph(project.graph, report)
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).shape == (2, 3 + 4, 16, 16)


def test_detector_resnet18_loads_every_backbone_tensor_of_torchvisions_resnet18():
    project = load_project(PRESETS / "detector-resnet18.cnn.json")
    report = analyze(project.graph, task="detection")
    assert report.valid and project.task == "detection"
    model = compile_graph(project.graph, report)
    reference = torchvision.models.resnet18(weights=None).state_dict()
    match = match_weights(project.graph, reference, model)
    assert len(match.state) == len(reference) - 2 and not match.mismatched  # all but torchvision's fc
    assert set(match.unexpected) == {"fc.weight", "fc.bias"}
    assert match.missing and all(key.startswith(("neck", "head")) for key in match.missing)
    with torch.no_grad():
        assert model(torch.randn(1, 3, 128, 128)).shape == (1, 7, 32, 32)
