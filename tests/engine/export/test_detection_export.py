"""Exporting detector-small: ONNX equal under onnxruntime, TorchScript, and Python that decodes the same boxes."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch

from engine import load_project, save_project
from engine.checkpoint import build_model, load_checkpoint
from engine.cli import main
from engine.tasks.detection_ops import decode_maps

PRESET = Path(__file__).resolve().parents[3] / "presets" / "detector-small.cnn.json"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("det")
    project = load_project(PRESET)
    project.training = project.training.replace(dataset="det-shapes:24", epochs=1, batch_size=8, device="cpu")
    path = save_project(project, folder / "detector.cnn.json")
    assert main(["train", str(path), "--out", str(folder / "run")]) == 0
    return folder


def _model_and_maps(trained):
    model = build_model(load_checkpoint(trained / "run" / "best.pt"))
    image = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model, image, model(image)


def test_onnx_export_of_the_head_maps_equals_the_network_under_onnxruntime(trained, capsys):
    out = trained / "detector.onnx"
    assert main(["export", str(trained / "run" / "best.pt"), "--format", "onnx", "--out", str(out)]) == 0
    _, image, maps = _model_and_maps(trained)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    assert actual.shape == (2, 7, 16, 16)  # 3 heat maps + 4 box channels at stride 4
    np.testing.assert_allclose(actual, maps.numpy(), atol=1e-4, rtol=0)


def test_torchscript_export_gives_the_same_maps(trained, capsys):
    out = trained / "detector.ts.pt"
    assert main(["export", str(trained / "run" / "best.pt"), "--format", "torchscript", "--out", str(out)]) == 0
    _, image, maps = _model_and_maps(trained)
    scripted = torch.jit.load(str(out))  # our own export, just written: never a user's file
    with torch.no_grad():
        torch.testing.assert_close(scripted(image), maps, atol=1e-5, rtol=0)


def test_python_export_decodes_the_same_boxes_without_convcanvas(trained, capsys):
    out = trained / "detector.py"
    assert main(["export", str(trained / "run" / "best.pt"), "--format", "python", "--out", str(out)]) == 0
    source = out.read_text()
    assert "engine" not in source.replace("ConvCanvas", "")  # nothing of ConvCanvas is imported
    assert "def decode_maps(" in source and "batched_nms" in source
    spec = importlib.util.spec_from_file_location("exported_detector", out)
    module = importlib.util.module_from_spec(spec)
    sys.modules.pop("exported_detector", None)
    spec.loader.exec_module(module)
    _, image, maps = _model_and_maps(trained)
    with torch.no_grad():
        exported = module.load()(image)
    torch.testing.assert_close(exported, maps, atol=1e-5, rtol=0)
    ours, theirs = decode_maps(maps, score_threshold=0.0), module.decode_maps(exported, score_threshold=0.0)
    assert sum(len(entry["boxes"]) for entry in ours) > 0
    for mine, yours in zip(ours, theirs):
        for key in ("boxes", "scores", "labels"):
            torch.testing.assert_close(yours[key], mine[key], atol=1e-5, rtol=0)
    assert module.CLASS_NAMES == ["circle", "square", "triangle"]
