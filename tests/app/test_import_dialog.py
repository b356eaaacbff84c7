"""File ▸ Import through real Qt: the torchvision and Python dialogs, saved files, and refusals."""
from __future__ import annotations

import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from engine import compile_graph
from engine.checkpoint import save_checkpoint

IMPORT_TIMEOUT_MS = 60_000


def click(button) -> None:
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


def set_size(dialog, shape) -> None:
    for spin, size in zip(dialog.size.spins, shape):
        spin.setValue(size)


def test_resnet18_imports_through_the_dialog_as_grouped_blocks(make_window, qtbot):
    window = make_window()
    dialog = window.importer.show_torchvision_dialog()
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.search, "resnet1")
    shown = [dialog.models.item(row).text() for row in range(dialog.models.count())
             if not dialog.models.item(row).isHidden()]
    assert shown == ["resnet101", "resnet152", "resnet18", "wide_resnet101_2"]
    dialog.select("resnet18")
    assert dialog.size.value() == (3, 224, 224)  # torchvision's own size until changed
    set_size(dialog, (3, 64, 64))
    # The lazy check says, before importing, that it will work.
    expected = "✓ resnet18 can be imported: 71 nodes in 8 blocks, 11,689,512 parameters"
    qtbot.waitUntil(lambda: dialog.check_label.text() == expected, timeout=IMPORT_TIMEOUT_MS)
    click(dialog.import_button)
    assert dialog.busy.isVisible() and not dialog.import_button.isEnabled()
    qtbot.waitUntil(lambda: window.document.project.name == "resnet18", timeout=IMPORT_TIMEOUT_MS)

    graph = window.document.graph
    assert len(graph.nodes) == 71 and [g.name for g in graph.groups.values()][:2] == ["layer1.0", "layer1.1"]
    scene = window.canvas.canvas_scene
    assert len(scene.block_items) == 8  # the blocks show collapsed, one card each
    assert set(scene.node_items) == {node_id for node_id in graph.nodes if graph.group_of(node_id) is None}
    assert scene.card_for("layer1_0_conv1") is scene.block_items["group1"]
    assert window.document.is_dirty and window.document.path is None
    assert window.document.project.weights == ""  # fresh weights: nothing to keep
    assert "Imported resnet18: 71 nodes" in window.statusBar().currentMessage()


def test_a_refused_import_lists_each_unsupported_operation(make_window, qtbot):
    window = make_window()
    dialog = window.importer.show_torchvision_dialog()
    dialog.select("swin_t")  # attention: no blocks for it (every convolutional family imports)
    set_size(dialog, (3, 32, 32))
    qtbot.waitUntil(lambda: dialog.check_label.text().startswith("✗ swin_t cannot be imported"),
                    timeout=IMPORT_TIMEOUT_MS)
    name_before = window.document.project.name
    click(dialog.import_button)
    qtbot.waitUntil(lambda: dialog.error is not None, timeout=IMPORT_TIMEOUT_MS)
    box = dialog.findChild(QMessageBox, "importErrorDialog")
    assert box is not None and box.isVisible()
    assert "nn.LayerNorm ×27" in box.text()
    assert "• attribute features.1.0.attn.relative_position_bias_table at features.1.0.attn" in box.informativeText()
    assert box.detailedText().count("\n") + 1 == len(dialog.error.unsupported)
    box.accept()
    assert dialog.isVisible() and dialog.import_button.isEnabled()  # try another model
    assert window.document.project.name == name_before
    dialog.reject()


MODEL_FILE = '''
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv(x)) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.block = Block()
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * 8 * 8, 3))

    def forward(self, x):
        return self.head(self.block(self.stem(x)))
'''


def test_a_python_file_lists_its_classes_and_imports_with_its_weights(make_window, qtbot, tmp_path):
    window = make_window()
    window.importer.weights_folder = tmp_path / "weights"
    path = tmp_path / "model.py"
    path.write_text(MODEL_FILE)
    dialog = window.importer.show_python_dialog()
    dialog.set_file(path)
    qtbot.waitUntil(lambda: dialog.class_combo.count() == 2, timeout=IMPORT_TIMEOUT_MS)
    assert [dialog.class_combo.itemText(i) for i in range(2)] == ["Block", "Net"]
    assert dialog.class_combo.currentText() == "Net" and dialog.import_button.isEnabled()
    set_size(dialog, (1, 8, 8))
    click(dialog.import_button)
    qtbot.waitUntil(lambda: window.document.project.name == "Net", timeout=IMPORT_TIMEOUT_MS)

    project = window.document.project
    assert [g.name for g in project.graph.groups.values()] == ["block"]
    assert project.weights.startswith(str(tmp_path / "weights")) and project.weights_source.startswith("imported")
    model = compile_graph(project.graph)
    model.load_state_dict(torch.load(project.weights, weights_only=True), strict=True)


def test_a_checkpoint_opens_as_a_new_document_with_its_weights(make_window, qtbot, tmp_path):
    window = make_window()  # LeNet-5 on first launch
    window.importer.weights_folder = tmp_path / "weights"
    project = window.document.project
    model = compile_graph(project.graph)
    path = save_checkpoint(tmp_path / "lenet.pt", project=project, model_state=model.state_dict(),
                           class_names=list("0123456789"), mean=(0.5,), std=(0.5,), metrics={}, history=[], epoch=2)
    names = {node.name for node in project.graph.nodes.values()}
    dialog = window.importer.import_saved_file(path)
    assert dialog.busy.isVisible()
    qtbot.waitUntil(lambda: window.document.project.weights != "", timeout=IMPORT_TIMEOUT_MS)
    assert {node.name for node in window.document.graph.nodes.values()} == names
    saved = torch.load(window.document.project.weights, weights_only=True)
    assert torch.equal(saved["conv1.weight"], model.state_dict()["conv1.weight"])
    assert "epoch 2" in window.statusBar().currentMessage()
