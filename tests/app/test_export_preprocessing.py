"""The Export dialog's "Include preprocessing" box: raw images in, and the dialog says which it wrote."""
from __future__ import annotations

import warnings

import pytest
import torch
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from app.training.background import BackgroundJobs
from app.training.export_dialog import ExportDialog
from engine import Graph, Project, compile_graph
from engine.checkpoint import save_checkpoint
from engine.data import preprocess_images

MEAN, STD = (0.2,), (0.3,)


@pytest.fixture
def trained(tmp_path):
    """A grey 8×8 network with weights, saved as a checkpoint; and the network itself."""
    graph = Graph()
    chain = [graph.add_node("input", {"channels": 1, "height": 8, "width": 8}),
             graph.add_node("conv2d", {"out_channels": 3, "kernel_size": 3}), graph.add_node("flatten"),
             graph.add_node("dense", {"out_features": 4}), graph.add_node("output")]
    for source, target in zip(chain, chain[1:]):
        graph.connect(source.id, target.id)
    project = Project(graph, "Tiny")
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    path = save_checkpoint(tmp_path / "tiny.pt", project=project, model_state=model.state_dict(),
                           class_names=list("abcd"), mean=MEAN, std=STD, metrics={}, history=[], epoch=1)
    return path, model


@pytest.fixture
def dialog(qtbot, trained):
    jobs = BackgroundJobs()
    dialog = ExportDialog(trained[0], jobs)
    qtbot.addWidget(dialog)
    dialog.show()
    yield dialog
    jobs.wait(60_000)


def test_the_box_applies_to_torchscript_and_onnx_only(dialog):
    dialog.select_format("python")
    assert not dialog.preprocessing_box.isEnabled()
    for name in ("torchscript", "onnx"):
        dialog.select_format(name)
        assert dialog.preprocessing_box.isEnabled()


def test_ticking_it_writes_a_torchscript_that_takes_raw_images(qtbot, dialog, trained, tmp_path):
    dialog.select_format("torchscript")
    box = dialog.preprocessing_box
    QTest.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on its tick box
    assert box.isChecked()
    target = tmp_path / "raw.torchscript.pt"
    dialog.path_edit.setText(str(target))
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.written == [target], timeout=60_000)
    assert "takes raw images" in dialog.result_label.text() and "resizes to 8×8, converts to grey" in \
        dialog.result_label.text()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        module = torch.jit.load(str(target))  # the file this test just wrote
    raw = torch.randint(0, 256, (2, 3, 30, 20), dtype=torch.uint8)  # RGB, another size
    with torch.no_grad():
        torch.testing.assert_close(module(raw), trained[1](preprocess_images(raw, (1, 8, 8), MEAN, STD)),
                                   atol=1e-5, rtol=1e-5)


def test_without_the_box_the_dialog_says_the_file_wants_prepared_tensors(qtbot, dialog, tmp_path):
    dialog.select_format("torchscript")
    target = tmp_path / "plain.torchscript.pt"
    dialog.path_edit.setText(str(target))
    dialog.export()
    qtbot.waitUntil(lambda: dialog.written == [target], timeout=60_000)
    assert "Without preprocessing" in dialog.result_label.text()
