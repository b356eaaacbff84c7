"""Composite blocks, finished off, with real Qt events: freezing a block and saving it to the library
from its card's menu, the frozen look of a collapsed card, the inspector's block page, and adding a
palette block after a selected block card."""
from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from app.inspector import BlockPage, Inspector, NodePage, SelectionPage
from engine.analysis import group_report
from engine.layout import CARD_WIDTH, LAYER_GAP

from .canvas_helpers import open_view
from .test_block_library import fill_save_dialog, open_resnet
from .test_blocks_canvas import block_point, preset, show

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
WEIGHTED = ["layer1_0_conv1", "layer1_0_bn1", "layer1_0_conv2", "layer1_0_bn2"]  # resnet8's layer1.0


def pick_from_menu(view, point: QPoint, action_name: str) -> list[str]:
    """Right-clicks at ``point`` and picks the action ``action_name``; returns the menu's action names."""
    names: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        names.extend(action.objectName() for action in menu.actions() if action.objectName())
        chosen = next(action for action in menu.actions() if action.objectName() == action_name)
        menu.setActiveAction(chosen)
        QTest.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(50, pick)
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                              view.viewport().mapToGlobal(point)))
    return names


def frozen_members(document, group_id: str) -> list[str]:
    return [m for m in document.graph.groups[group_id].members if document.graph.nodes[m].frozen]


def card_pixels(view, group_id: str):
    item = view.canvas_scene.block_items[group_id]
    return view.grab(view.mapFromScene(item.sceneBoundingRect()).boundingRect()).toImage()


def test_freeze_block_from_the_card_menu_freezes_its_weighted_layers_in_one_undo_step(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    card = view.canvas_scene.block_items["group1"]
    show(view, card.sceneBoundingRect().adjusted(-200, -200, 200, 200))
    view.select_nodes([])
    plain = card_pixels(view, "group1")

    names = pick_from_menu(view, block_point(view, "group1"), "freezeBlock")
    assert names.index("freezeBlock") < names.index("ungroupBlock")
    assert "saveBlockToLibrary" not in names  # a bare view has no library to save to
    assert frozen_members(document, "group1") == WEIGHTED  # the ReLUs and the Add have nothing to keep
    assert document.undo_stack.undoText() == "Freeze layer1.0"
    assert card.frozen and "all 4 layers keep their weights" in card.toolTip()
    view.select_nodes([])
    qtbot.waitUntil(lambda: card_pixels(view, "group1") != plain)  # the frozen look is drawn

    assert "unfreezeBlock" in pick_from_menu(view, block_point(view, "group1"), "unfreezeBlock")
    assert frozen_members(document, "group1") == [] and not card.frozen
    document.undo_stack.undo()
    assert frozen_members(document, "group1") == WEIGHTED and card.frozen
    document.undo_stack.undo()
    assert frozen_members(document, "group1") == [] and not card.frozen


def test_a_partly_frozen_block_says_so_and_the_look_follows_edits_and_group_changes(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    scene = view.canvas_scene
    document.set_frozen(["layer1_0_conv1"], True)
    card = scene.block_items["group1"]
    assert not card.frozen and "1 of 4 layers frozen" in card.toolTip()
    document.set_frozen(WEIGHTED, True)  # a frozen_changed event for each member
    assert card.frozen and "1 of 4" not in card.toolTip()

    document.update_block("group1", name="stem.block")  # a rename re-makes the card's text, not its look
    assert scene.block_items["group1"].frozen
    document.set_block_collapsed("group1", False)
    document.set_block_collapsed("group1", True)  # a new card for the block: frozen from the start
    assert scene.block_items["group1"].frozen
    document.ungroup("group1")
    document.undo_stack.undo()
    assert scene.block_items["group1"].frozen
    assert not scene.block_items["group2"].frozen and "frozen" not in scene.block_items["group2"].toolTip()


def test_save_block_to_library_from_the_card_menu(window, dialogs, tmp_path):
    open_resnet(window)
    view = window.canvas
    show(view, view.canvas_scene.block_items["group1"].sceneBoundingRect().adjusted(-300, -300, 300, 300))
    dialogs.expect(fill_save_dialog(type_name="Residual"))  # queued first: it opens inside the right-click
    pick_from_menu(view, block_point(view, "group1"), "saveBlockToLibrary")
    assert dialogs.seen[-1].name == "saveBlockDialog"
    assert (tmp_path / "blocks" / "Residual.block.json").is_file()
    assert "Residual" in window.palette_panel.library_types()


def click_card(view, group_id: str) -> None:
    QTest.mouseClick(view.viewport(), LEFT, NONE, block_point(view, group_id))


def test_clicking_a_block_card_shows_its_block_page_with_numbers_and_instances(qtbot):
    document, view = open_view(qtbot, preset("resnet18"), size=(1400, 800))
    inspector = Inspector(document)
    qtbot.addWidget(inspector)
    inspector.resize(340, 800)
    inspector.show()
    view.selection_changed.connect(inspector.show_nodes)
    show(view, view.canvas_scene.block_items["group2"].sceneBoundingRect().adjusted(-300, -300, 300, 300))
    click_card(view, "group2")
    page = inspector.page
    assert isinstance(page, BlockPage) and page.group_id == "group2"
    group = document.graph.groups["group2"]
    report = group_report(document.refresh_analysis(), group)
    assert page.path_edit.text() == "layer1.1" and page.type_label.text() == "BasicBlock64"
    assert page.instances_label.text() == "2, all identical"
    assert page.members_label.text() == "7 blocks"
    assert page.shape_label.text() == "64×56×56" and page.params_label.text() == f"{report.params:,}"
    assert page.frozen_box.text() == "Frozen (all 4 layers)" and not page.frozen_box.isChecked()
    assert page.unique_button.isVisible() and page.toggle_button.text() == "Expand"

    QTest.mouseClick(page.unique_button, LEFT)  # Make Unique: a type of its own
    assert document.graph.groups["group2"].type == "BasicBlock64_2" == page.type_label.text()
    assert page.instances_label.text() == "1 (only this one)" and not page.unique_button.isVisible()
    document.undo_stack.undo()
    assert page.type_label.text() == "BasicBlock64" and page.unique_button.isVisible()

    # Several cards, or a card and a node: the totals of all their layers.
    QTest.mouseClick(view.viewport(), LEFT, Qt.KeyboardModifier.ControlModifier, block_point(view, "group1"))
    assert isinstance(inspector.page, SelectionPage)
    assert inspector.page.findChild(type(page.title), "inspectorTitle").text() == "14 nodes selected"


def tick(box) -> None:
    """Clicks a check box on its indicator (the row is wider than what takes clicks)."""
    QTest.mouseClick(box, LEFT, NONE, QPoint(8, box.height() // 2))


def test_the_block_page_renames_freezes_expands_collapses_and_ungroups(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    inspector = Inspector(document)
    qtbot.addWidget(inspector)
    inspector.resize(340, 800)
    inspector.show()
    view.selection_changed.connect(inspector.show_nodes)
    show(view, view.canvas_scene.block_items["group1"].sceneBoundingRect().adjusted(-300, -300, 300, 300))
    click_card(view, "group1")
    page = inspector.page
    assert isinstance(page, BlockPage)

    edit = page.path_edit  # a clash is refused inline, and the path kept
    edit.setFocus()
    edit.selectAll()
    QTest.keyClicks(edit, "layer2")
    assert page.path_problem.isVisible() and "clashes with the block 'layer2.0'" in page.path_problem.text()
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert document.graph.groups["group1"].name == "layer1.0" and edit.text() == "layer1.0"
    edit.selectAll()
    QTest.keyClicks(edit, "stage1.0")
    QTest.keyClick(edit, Qt.Key.Key_Return)
    assert document.graph.groups["group1"].name == "stage1.0" and not page.path_problem.isVisible()
    assert page.title.text() == "stage1.0" and view.canvas_scene.block_items["group1"].texts[0] == "stage1.0"
    assert document.undo_stack.undoText() == "Rename block layer1.0 to stage1.0"
    document.undo_stack.undo()
    assert edit.text() == "layer1.0"

    tick(page.frozen_box)
    assert frozen_members(document, "group1") == WEIGHTED and page.frozen_box.isChecked()
    assert view.canvas_scene.block_items["group1"].frozen
    document.undo_stack.undo()
    document.set_frozen(["layer1_0_conv2"], True)
    assert page.frozen_box.checkState() == Qt.CheckState.PartiallyChecked
    assert page.frozen_note.isVisible() and page.frozen_note.text() == "1 of 4 layers frozen now"
    tick(page.frozen_box)  # a partly frozen block freezes whole
    assert frozen_members(document, "group1") == WEIGHTED and not page.frozen_note.isVisible()

    # Expanded, the block stays selected as its members, so the page stays; Collapse brings the card back.
    QTest.mouseClick(page.toggle_button, LEFT)
    assert not document.graph.groups["group1"].collapsed
    page = inspector.page
    assert isinstance(page, BlockPage) and page.toggle_button.text() == "Collapse"
    QTest.mouseClick(page.toggle_button, LEFT)
    assert document.graph.groups["group1"].collapsed and view.selected_group_ids() == ["group1"]
    page = inspector.page
    assert isinstance(page, BlockPage) and page.toggle_button.text() == "Expand"

    members = list(document.graph.groups["group1"].members)
    QTest.mouseClick(page.ungroup_button, LEFT)
    qtbot.waitUntil(lambda: isinstance(inspector.page, SelectionPage))
    assert "group1" not in document.graph.groups and set(view.selected_node_ids()) == set(members)
    view.select_nodes(["layer1_0_conv1"])
    assert isinstance(inspector.page, NodePage)


def test_the_block_page_saves_to_the_library_in_a_window(window, dialogs, tmp_path):
    open_resnet(window)
    window.canvas.select_nodes(["group1"])
    page = window.inspector.page
    assert isinstance(page, BlockPage)
    dialogs.expect(fill_save_dialog(type_name="MyResidual"))
    QTest.mouseClick(page.save_button, LEFT)
    assert (tmp_path / "blocks" / "MyResidual.block.json").is_file()


def test_a_palette_double_click_adds_after_a_selected_block_card(qtbot, window):
    open_resnet(window)
    view, document = window.canvas, window.document
    graph = document.graph
    group = graph.groups["group1"]
    show(view, view.canvas_scene.block_items["group1"].sceneBoundingRect().adjusted(-300, -300, 300, 300))
    click_card(view, "group1")
    assert view.selected_group_ids() == ["group1"]

    tree = window.palette_panel.tree
    point = tree.visualItemRect(window.palette_panel.item_for("dropout")).center()
    QTest.mouseClick(tree.viewport(), LEFT, NONE, point)
    QTest.mouseDClick(tree.viewport(), LEFT, NONE, point)
    (added,) = [node for node in graph.nodes.values() if node.type == "dropout"]
    assert any(edge.src == group.output and edge.dst == added.id for edge in graph.edges)
    assert view.selected_node_ids() == [added.id]
    # Beside the block's card (not beside its hidden output layer, which sits far to the right).
    card_x, output_x = float(group.ui["x"]), float(graph.nodes[group.output].ui["x"])
    assert card_x + CARD_WIDTH + LAYER_GAP == float(added.ui["x"]) < output_x
    new_card = view.canvas_scene.node_items[added.id].sceneBoundingRect()
    others = [item.sceneBoundingRect() for item in view.canvas_scene.cards() if item.node_id != added.id]
    assert not any(new_card.adjusted(8, 8, -8, -8).intersects(rect.adjusted(8, 8, -8, -8)) for rect in others)


def test_selecting_an_expanded_block_by_id_selects_its_members_and_shows_its_page(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1200, 700))
    inspector = Inspector(document)
    view.selection_changed.connect(inspector.show_nodes)
    group_id = next(iter(document.graph.groups))
    document.set_block_collapsed(group_id, False)
    view.select_nodes([group_id])
    assert set(view.selected_node_ids()) == set(document.graph.groups[group_id].members)
    assert isinstance(inspector.page, BlockPage) and inspector.page.group_id == group_id
