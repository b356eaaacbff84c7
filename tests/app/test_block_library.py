"""The block library in the app and shared-instance editing, with real Qt events.

Saving a block asks for its type name, "My Blocks" in the palette lists it,
dropping its drag data on the canvas inserts an instance as one undo step,
and its context menu deletes it. Editing a member of a block edits the same
member of every matching instance of its type, until Make Unique.
"""
from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.blocks.library import LIBRARY_MIME, SaveBlockDialog
from app.document import Document
from app.inspector import Inspector
from app.presets_menu import presets_folder
from engine.project import load_project

from .canvas_helpers import drop


def open_resnet(window, name: str = "resnet18") -> None:
    window.document.load(presets_folder() / f"{name}.cnn.json", as_new=True)


def fill_save_dialog(type_name: str | None = None, description: str | None = None):
    """A dialog handler typing into the Save Block dialog like a user, then pressing Save."""
    def answer(dialog) -> None:
        assert isinstance(dialog, SaveBlockDialog)
        if type_name is not None:
            dialog.type_edit.selectAll()
            QTest.keyClicks(dialog.type_edit, type_name)
        if description is not None:
            dialog.description_edit.selectAll()
            QTest.keyClicks(dialog.description_edit, description)
        QTest.mouseClick(dialog.buttons.button(dialog.buttons.StandardButton.Save), Qt.MouseButton.LeftButton)
    return answer


def choose_from_context_menu(tree, item, action_name: str) -> None:
    """Right-clicks ``item`` and picks the menu action ``action_name`` with the keyboard."""
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert menu is not None and menu.objectName() == "libraryBlockMenu"
        menu.setActiveAction(menu.findChild(QAction, action_name))
        QTest.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(50, pick)
    centre = tree.visualItemRect(item).center()
    QApplication.sendEvent(tree.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, centre,
                                                              tree.viewport().mapToGlobal(centre)))


def test_a_saved_block_appears_in_the_palette_drops_as_one_undo_step_and_can_be_deleted(
        make_window, dialogs, tmp_path):
    window = make_window()
    open_resnet(window)
    palette, library_dir = window.palette_panel, tmp_path / "blocks"
    assert palette.library_types() == [] and palette.my_blocks.child(0).text(0) == "Save a block to\nreuse it here"

    dialogs.expect(fill_save_dialog(description="Two 3×3 convolutions and a shortcut"))
    assert window.save_block_to_library("group1")
    assert dialogs.seen[-1].name == "saveBlockDialog"
    saved = json.loads((library_dir / "BasicBlock64.block.json").read_text())
    assert saved["description"] == "Two 3×3 convolutions and a shortcut" and len(saved["nodes"]) == 7
    assert palette.library_types() == ["BasicBlock64"]
    item = palette.library_item("BasicBlock64")
    assert "Two 3×3 convolutions" in item.toolTip(0) and "7 nodes" in item.toolTip(0)
    assert "conv1: Conv2d" in item.toolTip(0)

    # Saving again under the same type asks before replacing; declining keeps the file.
    dialogs.expect(fill_save_dialog(description="changed"))
    dialogs.click("cancel")
    assert not window.save_block_to_library("group2")
    assert dialogs.seen[-1].name == "replaceBlockDialog"
    assert json.loads((library_dir / "BasicBlock64.block.json").read_text())["description"].startswith("Two")

    # The palette's own drag data, dropped on the canvas viewport.
    graph, stack = window.document.graph, window.document.undo_stack
    before = (set(graph.nodes), len(graph.edges), list(graph.groups))
    mime = palette.tree.mimeData([item])
    assert mime.hasFormat(LIBRARY_MIME)
    assert drop(window.canvas, mime, QPoint(300, 200)) == (True, True)
    (new_id,) = [group_id for group_id in graph.groups if group_id not in before[2]]
    block = graph.groups[new_id]
    assert (block.name, block.type, len(block.members)) == ("block1", "BasicBlock64", 7)
    assert set(graph.nodes) - before[0] == set(block.members) and "block1_conv1" in block.members
    assert len(graph.edges) == before[1] + 6 and stack.undoText() == "Insert BasicBlock64 as block1"
    assert window.canvas.selected_group_ids() == [new_id]
    stack.undo()
    assert (set(graph.nodes), len(graph.edges), list(graph.groups)) == before
    stack.redo()
    assert graph.groups[new_id].members == block.members

    dialogs.click("delete")  # queued first: the menu and the question run inside the right-click
    choose_from_context_menu(palette.tree, palette.library_item("BasicBlock64"), "deleteFromLibrary")
    assert dialogs.seen[-1].name == "deleteBlockDialog" and palette.library_types() == []
    assert not (library_dir / "BasicBlock64.block.json").exists()


def test_double_clicking_a_saved_block_adds_it_after_the_selection_and_broken_files_are_shown(
        qtbot, make_window, dialogs, tmp_path):
    window = make_window()
    open_resnet(window)
    window.canvas.select_nodes(["group1"])  # the block's card
    dialogs.expect(fill_save_dialog(type_name="Residual"))
    window.block_library.save_action.trigger()  # Edit ▸ Save Block to Library…
    assert (tmp_path / "blocks" / "Residual.block.json").is_file()
    (tmp_path / "blocks" / "Broken.block.json").write_text("{not json")
    window.block_library.refresh_palette()
    palette = window.palette_panel
    assert palette.library_types() == ["Broken", "Residual"]
    broken = palette.library_item("Broken")
    assert "not a valid JSON file" in broken.toolTip(0) and not broken.flags() & Qt.ItemFlag.ItemIsDragEnabled

    graph = window.document.graph
    anchor = next(edge.src for edge in graph.edges if edge.dst == "layer1_0_conv1")
    window.canvas.select_nodes([anchor])
    tree = palette.tree
    point = tree.visualItemRect(palette.library_item("Residual")).center()
    with qtbot.waitSignal(palette.library_block_requested):
        QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
        QTest.mouseDClick(tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    (group,) = [g for g in graph.groups.values() if g.type == "Residual"]
    fed = {(e.dst, e.dst_port) for e in graph.edges if e.src == anchor}
    assert set(map(tuple, group.inputs[0])) <= fed  # the selected node feeds the new block
    assert window.canvas.selected_group_ids() == [group.id]


@pytest.fixture
def resnet_document(qtbot):
    def make(name: str) -> tuple[Document, Inspector]:
        document = Document(load_project(presets_folder() / f"{name}.cnn.json"))
        inspector = Inspector(document)
        qtbot.addWidget(inspector)
        inspector.resize(360, 800)
        inspector.show()
        qtbot.waitExposed(inspector)
        return document, inspector
    return make


def type_into_spin(spin, text: str) -> None:
    spin.setFocus()
    spin.lineEdit().selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)


def out_channels(document: Document, *node_ids: str) -> list[int]:
    return [document.graph.nodes[node_id].params["out_channels"] for node_id in node_ids]


def test_editing_a_member_edits_every_instance_of_its_type_in_one_undo_step(resnet_document):
    document, inspector = resnet_document("resnet18")
    inspector.show_nodes(["layer1_0_conv1"])
    page = inspector.page
    banner = page.block_banner
    assert banner.isVisible() and banner.make_unique_button.isVisible()
    assert banner.label.text() == "Part of <b>layer1.0</b> (BasicBlock64) — changes apply to both instances"

    type_into_spin(page.editors["out_channels"].spin, "32")
    assert out_channels(document, "layer1_0_conv1", "layer1_1_conv1") == [32, 32]
    assert out_channels(document, "layer2_0_conv1") == [128]
    stack = document.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Set conv1 out channels in 2 BasicBlock64 blocks"
    stack.undo()
    assert out_channels(document, "layer1_0_conv1", "layer1_1_conv1") == [64, 64]
    assert page.editors["out_channels"].value() == 64


def test_make_unique_gives_the_block_its_own_type_so_edits_stop_at_it(resnet_document):
    document, inspector = resnet_document("resnet18")
    inspector.show_nodes(["layer1_0_conv1"])
    page = inspector.page
    QTest.mouseClick(page.block_banner.make_unique_button, Qt.MouseButton.LeftButton)
    graph = document.graph
    assert graph.group_of("layer1_0_conv1").type == "BasicBlock64_2"
    assert graph.group_of("layer1_1_conv1").type == "BasicBlock64"
    assert document.undo_stack.undoText() == "Make layer1.0 unique (BasicBlock64_2)"
    assert page.block_banner.label.text() == "Part of <b>layer1.0</b> (BasicBlock64_2)"
    assert not page.block_banner.make_unique_button.isVisible()

    type_into_spin(page.editors["out_channels"].spin, "48")
    assert out_channels(document, "layer1_0_conv1", "layer1_1_conv1") == [48, 64]
    assert document.undo_stack.undoText() == "Set layer1_0_conv1 out channels to 48"
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert graph.group_of("layer1_0_conv1").type == "BasicBlock64"
    assert page.block_banner.make_unique_button.isVisible()


def test_instances_changed_apart_are_left_alone_and_the_banner_says_so(resnet_document):
    document, inspector = resnet_document("resnet34")
    document.graph.set_param("layer1_2_bn1", "eps", 1e-3)  # layer1.2 no longer matches the others
    inspector.show_nodes(["layer1_0_conv1"])
    page = inspector.page
    assert page.block_banner.label.text() == ("Part of <b>layer1.0</b> (BasicBlock64) — changes apply to 2 of 3 "
                                              "instances; 1 differs and is left as it is")
    type_into_spin(page.editors["out_channels"].spin, "16")
    assert out_channels(document, "layer1_0_conv1", "layer1_1_conv1", "layer1_2_conv1") == [16, 16, 64]
    assert document.undo_stack.undoText() == "Set conv1 out channels in 2 BasicBlock64 blocks"
    inspector.show_nodes(["layer1_2_conv1"])
    assert "it differs from the other 2 instances, so changes apply to it only" in \
        inspector.page.block_banner.label.text()
