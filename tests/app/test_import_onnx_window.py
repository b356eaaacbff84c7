"""ONNX models in the window: File ▸ Import ▸ ONNX Model… and a drop of an .onnx file on the window both open
the import dialog; Import brings the network in as a new document with its weights, and a refusal says why."""
from __future__ import annotations

import torch
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.engine.onnx_import.models import save, small_model, weights

from .test_dashboards import drag_and_drop

IMPORT_TIMEOUT_MS = 60_000


def drop_files(widget, paths) -> bool:
    entered, dropped = drag_and_drop(widget, paths)
    return entered and dropped


def test_an_onnx_file_dropped_on_the_window_imports_with_its_weights(make_window, qtbot, tmp_path):
    window = make_window()
    window.importer.weights_folder = tmp_path / "weights"
    path = save(small_model(), tmp_path / "small.onnx")

    def discard_if_asked() -> None:  # an import replaces the project: the window may ask to save it first
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.button(QMessageBox.StandardButton.Discard) is not None:
            QTest.mouseClick(box.button(QMessageBox.StandardButton.Discard), Qt.MouseButton.LeftButton)

    # Owned by the window: a quick import ends the test before 300 ms, and a free timer would then fire in the
    # next test (it clicked a missing button on that test's error box, and Qt aborted the process).
    QTimer.singleShot(300, window, discard_if_asked)
    assert drop_files(window.canvas, [path])
    qtbot.waitUntil(lambda: window.importer.dialog is not None and window.importer.dialog.isVisible(), timeout=5000)
    dialog = window.importer.dialog
    assert dialog.objectName() == "onnxImportDialog" and dialog.own_size.isChecked() and not dialog.size.isEnabled()
    QTest.keyClick(dialog.import_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.document.project.name == "small", timeout=IMPORT_TIMEOUT_MS)
    project = window.document.project
    assert {node.type for node in project.graph.nodes.values()} >= {"conv2d", "dense"}
    saved = torch.load(project.weights, weights_only=True)
    conv = next(tensor for key, tensor in saved.items() if tensor.dim() == 4)
    assert torch.equal(conv, torch.from_numpy(weights()["conv.weight"]))
    assert "onnxruntime" in window.statusBar().currentMessage()


def test_a_model_whose_size_varies_imports_at_the_size_chosen_in_the_dialog(make_window, qtbot, tmp_path):
    window = make_window()
    window.importer.weights_folder = tmp_path / "weights"
    path = save(small_model(dims=("batch", 3, "height", "width")), tmp_path / "dynamic.onnx")
    dialog = window.importer.show_onnx_dialog(path)
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)  # at its own size: there is none
    qtbot.waitUntil(lambda: dialog.findChild(QMessageBox, "importErrorDialog") is not None, timeout=IMPORT_TIMEOUT_MS)
    box = dialog.findChild(QMessageBox, "importErrorDialog")
    assert "not fixed" in box.text() and "--input" in box.text()
    box.close()
    dialog.own_size.click()
    assert dialog.size.isEnabled()
    for spin, size in zip(dialog.size.spins, (3, 20, 24)):
        spin.setValue(size)
    QTest.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.project.name == "dynamic", timeout=IMPORT_TIMEOUT_MS)
    node = window.document.graph.nodes["input"]
    assert (node.params["height"], node.params["width"]) == (20, 24)
