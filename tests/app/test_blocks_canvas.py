"""Composite blocks on the canvas, with real Qt events: collapsed cards, expanding in place,
grouping the selection (Ctrl+G and its dialog), ungrouping, wiring into a block, moving,
deleting, copying and tidying, each one undo step."""
from __future__ import annotations


from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from app.canvas.block_dialog import BlockDialog
from app.canvas.block_item import BlockItem
from app.canvas.node_item import NodeItem
from app.presets_menu import presets_folder
from engine.analysis import ERROR
from engine.compiler import compile_graph
from engine.graph import Edge
from engine.groups import make_group
from engine.project import load_project

from .canvas_helpers import card_point, drag, input_port_point, open_view, output_port_point, view_point

LEFT, CTRL = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier


def preset(name: str):
    return load_project(presets_folder() / f"{name}.cnn.json")


def shown_cards(view) -> list[NodeItem]:
    """The cards really in the scene and visible (not what the scene's dictionaries claim)."""
    return [item for item in view.canvas_scene.items() if isinstance(item, NodeItem) and item.isVisible()]


def block_point(view, group_id: str) -> QPoint:
    """On a block card's header, left of its expand toggle."""
    item = view.canvas_scene.block_items[group_id]
    return view_point(view, item.mapToScene(QPointF(30, 10)))


def show(view, scene_rect: QRectF) -> None:
    view.fit_rect(scene_rect)
    QApplication.processEvents()


def fill_block_dialog(name: str, type_name: str):
    """A dialog handler typing a block name and type like a user, then pressing OK."""
    def answer(dialog) -> None:
        assert isinstance(dialog, BlockDialog)
        for field, text in (("blockName", name), ("blockType", type_name)):
            edit = dialog.findChild(QLineEdit, field)
            edit.selectAll()
            QTest.keyClicks(edit, text)
        QTest.mouseClick(dialog.ok_button, LEFT)
    return answer


def choose_from_context_menu(view, point: QPoint, action_name: str) -> None:
    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert menu is not None
        menu.setActiveAction(menu.findChild(QAction, action_name))
        QTest.keyClick(menu, Qt.Key.Key_Return)

    QTimer.singleShot(50, pick)
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point,
                                                              view.viewport().mapToGlobal(point)))


def test_resnet50_opens_as_25_cards_and_a_double_click_expands_a_block_in_place(qtbot):
    document, view = open_view(qtbot, preset("resnet50"), size=(1400, 800))  # how fast: make bench canvas
    scene = view.canvas_scene
    assert len(shown_cards(view)) == 25 and len(scene.block_items) == 16
    assert scene.block_items["group2"].texts[:2] == ("layer1.1", "Bottleneck64")
    members = list(document.graph.groups["group2"].members)
    assert len(members) == 10 and not any(m in scene.node_items for m in members)

    show(view, scene.block_items["group2"].sceneBoundingRect())
    QTest.mouseDClick(view.viewport(), LEFT, NONE, block_point(view, "group2"))
    assert not document.graph.groups["group2"].collapsed
    assert len(shown_cards(view)) == 25 - 1 + 10
    assert all(scene.node_items[m].isVisible() for m in members)
    frame = scene.frame_items["group2"]
    assert frame.title == ("layer1.1", "Bottleneck64") and frame.isVisible()
    assert all(frame.frame_rect().contains(scene.node_items[m].sceneBoundingRect().center()) for m in members)
    cards = [item.sceneBoundingRect().adjusted(6, 6, -12, -12) for item in shown_cards(view)]
    assert not any(a.intersects(b) for i, a in enumerate(cards) for b in cards[i + 1:])  # room was made
    assert document.undo_stack.undoText() == "Expand layer1.1"
    assert not document.is_dirty  # a view change: undoable, but the file is not modified

    # Double-clicking the frame's title collapses it again, and the neighbours move back.
    title = view_point(view, frame.title_rect().center())
    QTest.mouseDClick(view.viewport(), LEFT, NONE, title)
    assert document.graph.groups["group2"].collapsed and "group2" not in scene.frame_items
    assert len(shown_cards(view)) == 25
    assert not document.is_dirty
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert len(shown_cards(view)) == 25 and document.graph.groups["group2"].collapsed


def test_the_toggles_expand_and_collapse_and_open_zooms_to_the_block(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    scene = view.canvas_scene
    card = scene.block_items["group1"]
    show(view, card.sceneBoundingRect())
    QTest.mouseClick(view.viewport(), LEFT, NONE, view_point(view, card.mapToScene(card.toggle_rect().center())))
    frame = scene.frame_items["group1"]
    QTest.mouseClick(view.viewport(), LEFT, NONE, view_point(view, frame.toggle_rect().center()))
    assert "group1" in scene.block_items and "group1" not in scene.frame_items

    choose_from_context_menu(view, block_point(view, "group1"), "openBlock")
    frame = scene.frame_items["group1"]
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    rect = frame.frame_rect()
    # Zoomed to the block; one too long to fit readably shows its start (its input) readably.
    assert visible.contains(rect) or (view.zoom >= 0.75 and visible.contains(rect.topLeft())
                                      and visible.intersected(rect).width() > 0.8 * visible.width())


def test_expanding_and_collapsing_a_block_leaves_a_saved_file_unmodified(qtbot, tmp_path):
    document, view = open_view(qtbot, preset("resnet8"))
    document.save(tmp_path / "resnet8.cnn.json")
    scene = view.canvas_scene
    card = scene.block_items["group1"]
    show(view, card.sceneBoundingRect())
    QTest.mouseClick(view.viewport(), LEFT, NONE, view_point(view, card.mapToScene(card.toggle_rect().center())))
    assert not document.graph.groups["group1"].collapsed
    assert not document.is_dirty and document.undo_stack.count() == 1  # undoable, yet nothing to save
    frame = scene.frame_items["group1"]
    QTest.mouseClick(view.viewport(), LEFT, NONE, view_point(view, frame.toggle_rect().center()))
    assert document.graph.groups["group1"].collapsed
    assert not document.is_dirty and document.undo_stack.count() == 2
    # An edit after the view changes does mark it modified.
    document.rename(next(iter(document.graph.nodes)), "renamed_for_the_test")
    assert document.is_dirty


def test_issues_on_members_show_on_the_collapsed_card(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    card = view.canvas_scene.block_items["group1"]
    assert card.severity is None and card.texts[3] == "→ 16×32×32"
    document.set_param("layer1_0_conv2", "out_channels", 8)  # the Add's inputs no longer match
    document.refresh_analysis()
    assert card.severity == ERROR and card.toolTip().count("\n") >= 1
    document.set_block_collapsed("group1", False)
    document.refresh_analysis()
    assert view.canvas_scene.node_items["layer1_0_add"].severity == ERROR


def test_ctrl_g_groups_the_clicked_nodes_into_one_named_block(qtbot, dialogs):
    document, view = open_view(qtbot)
    QTest.mouseClick(view.viewport(), LEFT, NONE, card_point(view, "conv1"))
    for node_id in ("relu1", "pool1"):
        QTest.mouseClick(view.viewport(), LEFT, CTRL, card_point(view, node_id))
    assert set(view.selected_node_ids()) == {"conv1", "relu1", "pool1"}

    dialogs.expect(fill_block_dialog("features", "ConvReluPool"))
    QTest.keyClick(view, Qt.Key.Key_G, CTRL)
    (group,) = document.graph.groups.values()
    assert (group.name, group.type, group.collapsed) == ("features", "ConvReluPool", True)
    scene = view.canvas_scene
    assert list(scene.block_items) == [group.id] and view.selected_group_ids() == [group.id]
    assert len(shown_cards(view)) == 7 - 3 + 1
    keys = compile_graph(document.graph).state_dict()
    assert "features.conv1.weight" in keys and "conv1.weight" not in keys
    assert document.undo_stack.undoText() == "Group 3 nodes into features"

    document.undo_stack.undo()
    assert not document.graph.groups and len(shown_cards(view)) == 7
    assert "conv1.weight" in compile_graph(document.graph).state_dict()
    document.undo_stack.redo()
    assert list(scene.block_items) == [group.id] and len(shown_cards(view)) == 5


def test_the_block_dialog_refuses_bad_names_inline(qtbot):
    document, view = open_view(qtbot)
    dialog = BlockDialog(document.graph, ["conv1", "relu1"], "block", "Block", parent=view)
    qtbot.addWidget(dialog)
    assert dialog.ok_button.isEnabled() and "block.conv1.weight" in dialog.keys_label.text()
    dialog.name_edit.selectAll()
    QTest.keyClicks(dialog.name_edit, "fc1")  # the name of a node outside the block
    assert not dialog.ok_button.isEnabled()
    assert "clashes with the node 'fc1'" in dialog.problem_label.text()
    dialog.name_edit.selectAll()
    QTest.keyClicks(dialog.name_edit, "stem.0")
    dialog.type_edit.selectAll()
    QTest.keyClicks(dialog.type_edit, "not a type")
    assert not dialog.ok_button.isEnabled() and "not a valid composite type name" in dialog.problem_label.text()


def test_grouping_a_selection_with_two_results_is_refused_with_the_reason(qtbot, dialogs):
    document, view = open_view(qtbot)
    messages: list[str] = []
    document.status_message.connect(messages.append)
    document.add_node_after("dense", "conv1")  # conv1 now feeds relu1 and a new dense
    view.select_nodes(["relu1", "conv1"])  # two results leave: conv1's and relu1's
    QTest.keyClick(view, Qt.Key.Key_G, CTRL)  # refused before any dialog opens
    assert not document.graph.groups and not dialogs.seen
    assert messages[-1].startswith("Cannot group these nodes: a block gives one result")


def test_ungroup_restores_the_nodes_and_undo_regroups_them(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    before = document.graph.groups["group2"].copy()
    view.select_nodes(["group2"])
    QTest.keyClick(view, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert "group2" not in document.graph.groups and "group2" not in view.canvas_scene.block_items
    assert set(before.members) <= set(view.canvas_scene.node_items)
    assert set(view.selected_node_ids()) == set(before.members)
    document.undo_stack.undo()
    assert document.graph.groups["group2"] == before and list(document.graph.groups)[1] == "group2"
    assert "group2" in view.canvas_scene.block_items


def test_deleting_a_member_and_undoing_restores_its_place_in_the_block(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    document.set_block_collapsed("group2", False)
    before = document.graph.groups["group2"].copy()
    member = "layer2_0_downsample_0"  # one of the block's input ports
    show(view, view.canvas_scene.node_items[member].sceneBoundingRect())
    QTest.mouseClick(view.viewport(), LEFT, NONE, card_point(view, member))
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert member not in document.graph.nodes and member not in document.graph.groups["group2"].members
    document.undo_stack.undo()
    assert document.graph.groups["group2"] == before
    assert view.canvas_scene.node_items[member].frame is view.canvas_scene.frame_items["group2"]


def test_dragging_an_edge_onto_a_collapsed_block_feeds_every_port_of_that_input(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1400, 800))
    feeding = [Edge("relu", "layer1_0_conv1"), Edge("relu", "layer1_0_add")]
    document.disconnect(feeding)
    scene = view.canvas_scene
    block = scene.block_items["group1"]
    assert block.inputs["in0"].edge_count == 0
    show(view, scene.node_items["relu"].sceneBoundingRect().united(block.sceneBoundingRect()))
    drag(view, output_port_point(view, "relu"), view_point(view, block.inputs["in0"].anchor()))
    assert all(edge in document.graph.edges for edge in feeding)
    assert document.undo_stack.undoText() == "Connect relu → layer1.0"
    assert block.inputs["in0"].edge_count == 1  # one line stands for both edges
    assert scene.edge_items[feeding[0]] is scene.edge_items[feeding[1]]
    document.undo_stack.undo()
    assert not any(edge in document.graph.edges for edge in feeding)


def test_dragging_from_a_block_output_connects_its_output_member(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1400, 800))
    document.disconnect([Edge("layer3_0_relu2", "avgpool")])
    scene = view.canvas_scene
    block = scene.block_items["group3"]
    show(view, block.sceneBoundingRect().united(scene.node_items["avgpool"].sceneBoundingRect()))
    drag(view, view_point(view, block.output.anchor()), input_port_point(view, "avgpool"))
    assert Edge("layer3_0_relu2", "avgpool") in document.graph.edges


def test_a_refused_drop_on_a_block_input_says_why(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1400, 800))
    messages: list[str] = []
    document.status_message.connect(messages.append)
    scene = view.canvas_scene
    show(view, scene.block_items["group1"].sceneBoundingRect().united(scene.block_items["group2"].sceneBoundingRect()))
    edges = list(document.graph.edges)
    drag(view, view_point(view, scene.block_items["group2"].output.anchor()),
         view_point(view, scene.block_items["group1"].inputs["in0"].anchor()))
    assert document.graph.edges == edges
    assert messages[-1].startswith("Cannot connect layer2.0 → layer1.0")


def test_moving_a_collapsed_card_moves_its_members_in_one_undo_step(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1400, 800))
    scene = view.canvas_scene
    group = document.graph.groups["group1"]
    before = {m: dict(document.graph.nodes[m].ui) for m in group.members}
    show(view, scene.block_items["group1"].sceneBoundingRect().adjusted(-300, -300, 300, 300))
    start = block_point(view, "group1")
    drag(view, start, start + QPoint(0, 120))
    x, y = document.graph.groups["group1"].ui["x"], document.graph.groups["group1"].ui["y"]
    dy = y - group.ui["y"]
    assert dy > 50 and x == group.ui["x"]
    assert all(document.graph.nodes[m].ui["y"] == before[m]["y"] + dy for m in group.members)
    assert document.undo_stack.undoText() == "Move layer1.0"
    document.undo_stack.undo()
    assert all(document.graph.nodes[m].ui == before[m] for m in group.members)


def test_delete_on_a_block_card_deletes_the_block_and_undo_brings_it_back(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    members = list(document.graph.groups["group2"].members)
    edges = list(document.graph.edges)
    view.select_nodes(["group2"])
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "group2" not in document.graph.groups and not any(m in document.graph.nodes for m in members)
    assert document.undo_stack.undoText() == "Delete layer2.0"
    document.undo_stack.undo()
    assert "group2" in view.canvas_scene.block_items and document.graph.edges == edges
    assert list(document.graph.groups["group2"].members) == members


def test_duplicating_a_collapsed_block_pastes_a_block_under_a_free_path(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    view.select_nodes(["group1"])
    QTest.keyClick(view, Qt.Key.Key_D, CTRL)
    new = [g for g in document.graph.groups.values() if g.id not in ("group1", "group2", "group3")]
    assert [(g.name, g.type, g.collapsed) for g in new] == [("layer1.1", "BasicBlock16", True)]
    assert view.selected_group_ids() == [new[0].id]
    conv = new[0].member_for("conv1")
    assert document.graph.nodes[conv].name == "layer1_1_conv1"  # named after the new path
    assert document.graph.module_path(conv) == "layer1.1.conv1"
    document.undo_stack.undo()
    assert len(document.graph.groups) == 3


def test_tidy_layout_lays_a_collapsed_block_out_as_one_card(qtbot):
    document, view = open_view(qtbot)
    document.group_nodes(["conv1", "relu1", "pool1"], "features", "Features")
    document.move_nodes({"fc1": (0, 0), "flatten": (10, 10)})  # a mess
    document.tidy_layout("LR")
    cards = [item.sceneBoundingRect().adjusted(6, 6, -12, -12) for item in shown_cards(view)]
    assert len(cards) == 5
    assert not any(a.intersects(b) for i, a in enumerate(cards) for b in cards[i + 1:])
    xs = sorted(item.x() for item in shown_cards(view))
    assert xs[-1] - xs[0] == 4 * 260  # five cards in a row: the block takes one place
    document.undo_stack.undo()
    assert view.canvas_scene.node_items["fc1"].pos() == QPointF(0, 0)


def test_a_block_made_in_the_engine_shows_up_through_graph_events(qtbot):
    document, view = open_view(qtbot)
    graph = document.graph
    graph.add_group(make_group(graph, ["relu1", "pool1"], "act", "Act"))  # no document, no undo: just events
    scene = view.canvas_scene
    (card,) = [item for item in shown_cards(view) if isinstance(item, BlockItem)]
    assert card.texts[0] == "act" and Edge("conv1", "relu1") in scene.edge_items
    assert scene.edge_items[Edge("conv1", "relu1")].target is card


def test_rename_from_the_context_menu_changes_the_path_and_undo_restores_it(qtbot, dialogs):
    document, view = open_view(qtbot, preset("resnet8"))
    show(view, view.canvas_scene.block_items["group1"].sceneBoundingRect())
    dialogs.expect(fill_block_dialog("stage1.0", "Residual"))
    choose_from_context_menu(view, block_point(view, "group1"), "renameBlock")
    qtbot.waitUntil(lambda: document.graph.groups["group1"].name == "stage1.0", timeout=2000)
    card = view.canvas_scene.block_items["group1"]
    assert card.texts[:2] == ("stage1.0", "Residual")
    assert document.graph.module_path("layer1_0_conv1") == "stage1.0.conv1"
    document.undo_stack.undo()
    assert card.texts[:2] == ("layer1.0", "BasicBlock16")


def test_deleting_every_member_of_an_expanded_block_deletes_the_block_too(qtbot):
    document, view = open_view(qtbot, preset("resnet8"))
    document.set_block_collapsed("group1", False)
    members = list(document.graph.groups["group1"].members)
    view.select_nodes(members)
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "group1" not in document.graph.groups and "group1" not in view.canvas_scene.frame_items
    document.undo_stack.undo()
    assert list(document.graph.groups["group1"].members) == members
    assert set(view.canvas_scene.frame_items["group1"].members) == {view.canvas_scene.node_items[m] for m in members}


def test_the_window_groups_and_ungroups_with_its_edit_menu_keys(window, dialogs):
    canvas, document = window.canvas, window.document
    edit_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&Edit")
    assert {window.group_action, window.ungroup_action} <= set(edit_menu.actions())
    canvas.setFocus()
    canvas.select_nodes(["conv1", "tanh1", "pool1"])
    dialogs.expect(fill_block_dialog("features.0", "ConvTanhPool"))
    QTest.keyClick(canvas, Qt.Key.Key_G, CTRL)
    assert [g.name for g in document.graph.groups.values()] == ["features.0"]
    assert len(dialogs.seen) == 1 and document.undo_stack.count() == 1  # one dialog, one undo step
    QTest.keyClick(canvas, Qt.Key.Key_G, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert not document.graph.groups and set(canvas.selected_node_ids()) == {"conv1", "tanh1", "pool1"}


def test_a_block_expands_while_the_network_trains_so_its_layers_can_be_picked(qtbot):
    document, view = open_view(qtbot, preset("resnet8"), size=(1400, 800))
    scene = view.canvas_scene
    group_id = next(iter(document.graph.groups))
    document.read_only = True  # what a training run does to the document
    show(view, scene.block_items[group_id].sceneBoundingRect())
    QTest.mouseDClick(view.viewport(), LEFT, NONE, block_point(view, group_id))
    assert not document.graph.groups[group_id].collapsed
    conv = next(m for m, local in document.graph.groups[group_id].members.items() if local == "conv1")
    assert scene.node_items[conv].isVisible()
    assert not document.rename(conv, "renamed")  # the network itself stays untouchable
    assert document.graph.nodes[conv].name != "renamed"
