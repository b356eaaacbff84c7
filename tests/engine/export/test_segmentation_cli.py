"""Segmentation from the command line: train, predict a mask PNG, export ONNX/Python that say how to read it."""
from __future__ import annotations

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image

from engine import Project, TrainingConfig, save_project
from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.predict_masks import MASK_SUFFIX
from tests.engine.graphs import seg_graph


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seg")
    project = Project(seg_graph(size=16, classes=4), name="Tiny seg", task="classification",
                      training=TrainingConfig(dataset="seg-shapes:40", epochs=1, batch_size=8, device="cpu"))
    path = save_project(project, folder / "tiny.cnn.json")
    # The project says classification; --task segmentation is what makes this run possible.
    assert main(["train", str(path), "--task", "segmentation", "--out", str(folder / "run")]) == 0
    return folder


def test_train_reports_mean_iou_and_the_checkpoint_is_segmentation(trained, capsys):
    checkpoint = load_checkpoint(trained / "run" / "best.pt")
    assert checkpoint.project.task == "segmentation" and "val_miou" in checkpoint.metrics


def test_predict_writes_a_mask_png_beside_the_image_and_prints_class_shares(trained, capsys):
    image = trained / "photo.png"
    Image.fromarray((np.random.default_rng(0).random((20, 24, 3)) * 255).astype(np.uint8)).save(image)
    capsys.readouterr()
    assert main(["predict", str(trained / "run" / "best.pt"), str(image)]) == 0
    out = capsys.readouterr().out
    mask_file = trained / f"photo{MASK_SUFFIX}"
    mask = Image.open(mask_file)
    assert mask.mode == "P" and mask.size == (24, 20)  # the image's own size
    assert np.asarray(mask).max() < 4
    assert str(mask_file) in out and "background" in out and "%" in out
    shares = [float(line.split()[-1].rstrip("%")) for line in out.splitlines()[1:] if line.strip()]
    assert sum(shares) == pytest.approx(100, abs=0.1)


def test_predict_names_an_unreadable_image_and_exits_1(trained, capsys):
    bad = trained / "broken.png"
    bad.write_bytes(b"not a png")
    assert main(["predict", str(trained / "run" / "best.pt"), str(bad)]) == 1
    assert "broken.png: error: not a readable image" in capsys.readouterr().out
    assert not (trained / f"broken{MASK_SUFFIX}").exists()


def test_onnx_export_equals_the_network_within_1e_4(trained, capsys):
    checkpoint = trained / "run" / "best.pt"
    out = trained / "tiny.onnx"
    assert main(["export", str(checkpoint), "--format", "onnx", "--out", str(out)]) == 0
    from engine.checkpoint import build_model

    model = build_model(load_checkpoint(checkpoint))
    image = torch.randn(2, 3, 16, 16)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    with torch.no_grad():
        expected = model(image).numpy()
    assert actual.shape == (2, 4, 16, 16)
    np.testing.assert_allclose(actual, expected, atol=1e-4, rtol=0)


def test_python_export_says_how_to_turn_the_output_into_a_mask(trained):
    out = trained / "tiny.py"
    assert main(["export", str(trained / "run" / "best.pt"), "--format", "python", "--out", str(out)]) == 0
    assert "mask = output.argmax(1)" in out.read_text()


@pytest.mark.parametrize("format_name, suffix", [("torchscript", ".ts.pt"), ("checkpoint", ".copy.pt")])
def test_torchscript_and_checkpoint_exports_write_their_files(trained, format_name, suffix, capsys):
    out = trained / f"tiny{suffix}"
    assert main(["export", str(trained / "run" / "best.pt"), "--format", format_name, "--out", str(out)]) == 0
    assert out.is_file() and out.stat().st_size > 1000
    if format_name == "checkpoint":
        assert load_checkpoint(out).project.task == "segmentation"
