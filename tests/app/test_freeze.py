"""Frozen nodes and pretrained weights in the app: context menu, inspector, Model menu, weights dialog."""
from __future__ import annotations

import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.inspector import Inspector
from app.presets_menu import presets_folder
from engine.compiler import compile_graph
from engine.finetune import parameter_nodes

from .canvas_helpers import open_view, pick_from_context_menu


def card_pixels(view, node_id: str):
    item = view.canvas_scene.node_items[node_id]
    return view.grab(view.mapFromScene(item.sceneBoundingRect()).boundingRect()).toImage()


def frozen_names(document) -> list[str]:
    return [node.name for node in document.graph.nodes.values() if node.frozen]


def test_the_context_menu_freezes_the_selection_and_undo_thaws_it(qtbot):
    document, view = open_view(qtbot)
    view.center_on_nodes(["conv1"])
    before = card_pixels(view, "conv1")
    view.select_nodes(["conv1", "fc1"])
    seen = pick_from_context_menu(view, "conv1", "Freeze")
    assert "Freeze" in seen
    assert frozen_names(document) == ["conv1", "fc1"]
    card = view.canvas_scene.node_items["conv1"]
    assert card.frozen and "Frozen: keeps its weights" in card.toolTip()
    view.select_nodes([])
    qtbot.waitUntil(lambda: card_pixels(view, "conv1") != before)  # the frozen look is drawn
    frozen_look = card_pixels(view, "conv1")
    assert document.undo_stack.undoText() == "Freeze 2 nodes"

    view.select_nodes(["conv1"])
    assert "Unfreeze" in pick_from_context_menu(view, "conv1", "Unfreeze")
    assert frozen_names(document) == ["fc1"]
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert frozen_names(document) == [] and not card.frozen
    view.select_nodes([])
    qtbot.waitUntil(lambda: card_pixels(view, "conv1") != frozen_look)


def test_the_inspector_checkbox_freezes_a_layer_with_weights_only(qtbot):
    document, view = open_view(qtbot)
    inspector = Inspector(document)
    qtbot.addWidget(inspector)
    inspector.resize(340, 700)
    inspector.show()
    inspector.show_nodes(["conv1"])
    box = inspector.page.frozen_box
    assert box.isVisible() and box.text() == "Frozen: keep its weights while training"
    QTest.mouseClick(box, Qt.MouseButton.LeftButton)
    assert document.graph.nodes["conv1"].frozen and view.canvas_scene.node_items["conv1"].frozen
    document.undo_stack.undo()
    assert not document.graph.nodes["conv1"].frozen and not box.isChecked()
    document.undo_stack.redo()
    assert box.isChecked()
    inspector.show_nodes(["relu1"])  # no weights: nothing to freeze
    assert not inspector.page.frozen_box.isVisible()


def test_a_deleted_frozen_node_comes_back_frozen(qtbot):
    document, view = open_view(qtbot)
    document.set_frozen(["conv1"], True)
    document.remove_nodes(["conv1"])
    document.undo_stack.undo()
    assert document.graph.nodes["conv1"].frozen and view.canvas_scene.node_items["conv1"].frozen


@pytest.mark.parametrize("preset, head", [(None, ["fc1", "fc2", "fc3"]), ("resnet18", ["fc"])])
def test_freeze_all_but_the_head_leaves_only_the_classifier_trainable(window, preset, head):
    """LeNet-5's head is its three dense layers after the Flatten; ResNet-18's is fc."""
    if preset:
        window.open_preset(presets_folder() / f"{preset}.cnn.json")
    document = window.document
    carriers = parameter_nodes(document.graph)
    window.model_menu.freeze_head_action.trigger()
    trainable = [document.graph.nodes[i].name for i in carriers if not document.graph.nodes[i].frozen]
    assert trainable == head
    assert len(frozen_names(document)) == len(carriers) - len(head)
    assert document.is_dirty and document.undo_stack.undoText() == "Freeze all but the head"
    panel_text = window.training_ui.panel.weights_label.text()
    assert panel_text == f"Starts from: random weights · {len(carriers) - len(head)} frozen layers"
    window.model_menu.unfreeze_action.trigger()
    assert frozen_names(document) == []
    document.undo_stack.undo()
    assert len(frozen_names(document)) == len(carriers) - len(head)


def test_the_weights_dialog_reports_misfits_by_name_and_applies_undoably(qtbot, window, tmp_path):
    document = window.document  # LeNet-5, 10 classes
    pretrained = document.graph.copy()
    pretrained.set_param("fc3", "out_features", 5)  # a head trained for five classes
    state = compile_graph(pretrained).state_dict()
    torch.save(state, tmp_path / "lenet-5-classes.pth")

    dialog = window.model_menu.show_weights_dialog()
    assert dialog.isVisible() and dialog.file_radio.isChecked()  # LeNet-5 is no torchvision model
    dialog.set_file(tmp_path / "lenet-5-classes.pth")
    qtbot.waitUntil(dialog.apply_button.isEnabled, timeout=5000)
    report = dialog.report.text()
    assert "Loaded 8 of the network's 10 tensors" in report
    assert "fc3.weight: file 5×84, network 10×84; fc3.bias: file 5, network 10" in report
    window.grab().save(str(tmp_path / "window.png"))
    QTest.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert document.project.weights == str(tmp_path / "lenet-5-classes.pth")
    assert document.is_dirty
    assert window.training_ui.panel.weights_label.text() == "Starts from: lenet-5-classes.pth"
    document.undo_stack.undo()
    assert document.project.weights == ""
    assert window.training_ui.panel.weights_label.text() == "Starts from: random weights"


def test_the_weights_dialog_refuses_a_file_that_fits_nothing_and_names_bad_files(qtbot, window, tmp_path):
    torch.save({"encoder.weight": torch.zeros(3)}, tmp_path / "other.pth")
    (tmp_path / "broken.pth").write_bytes(b"not torch")
    dialog = window.model_menu.show_weights_dialog()
    dialog.set_file(tmp_path / "other.pth")
    qtbot.waitUntil(lambda: "do not fit" in dialog.report.text(), timeout=5000)
    assert "encoder.weight" in dialog.report.text() and not dialog.apply_button.isEnabled()
    dialog.set_file(tmp_path / "broken.pth")
    qtbot.waitUntil(lambda: "broken.pth" in dialog.report.text(), timeout=5000)
    assert "not a" in dialog.report.text() and not dialog.apply_button.isEnabled()
    dialog.reject()
    assert window.document.project.weights == ""


def test_the_weights_dialog_suggests_torchvision_for_its_presets(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))  # nothing cached: a download would be needed
    window.open_preset(presets_folder() / "resnet18.cnn.json")
    dialog = window.model_menu.show_weights_dialog()
    assert dialog.torchvision_radio.isChecked() and dialog.model_combo.currentText() == "resnet18"
    assert [dialog.weights_combo.itemText(i) for i in range(dialog.weights_combo.count())] == ["IMAGENET1K_V1"]
    assert dialog.check_button.text() == "Download and Check"
    assert str(tmp_path / "torch") in dialog.cache_label.text()
    dialog.reject()


def test_a_run_starts_from_the_chosen_weights_and_says_what_it_re_initialised(qtbot, window, tmp_path):
    from app.training.settings_command import set_training_setting
    from app.weights_dialog import set_project_weights

    document, ui = window.document, window.training_ui  # LeNet-5 on the bundled digits
    pretrained = document.graph.copy()
    pretrained.set_param("fc3", "out_features", 5)
    state = compile_graph(pretrained).state_dict()
    torch.save(state, tmp_path / "start.pth")
    assert set_project_weights(document, str(tmp_path / "start.pth"), "")
    assert set_training_setting(document, "epochs", 1)
    assert set_training_setting(document, "batch_size", 256)
    window.model_menu.freeze_head_action.trigger()
    qtbot.waitUntil(lambda: ui.panel.dataset_info is not None)
    with qtbot.waitSignal(ui.training_ended, timeout=60_000):
        assert ui.start_training(), ui.panel.message_label.text()
    message = ui.panel.message_label.text()
    assert "start.pth: loaded 8 of 10 tensors; fc3 re-initialised" in message
    assert "fc3.weight: file 5×84, network 10×84" in message
    trained = ui.trained.model.state_dict()
    assert torch.equal(trained["conv1.weight"], state["conv1.weight"])  # frozen: bit for bit the file's
    assert not torch.equal(trained["fc2.weight"], state["fc2.weight"])  # the head trained
