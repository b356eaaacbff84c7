"""Building and changing a network on the canvas by keyboard alone (issue 24, items 2 and 3).

Every action is a real key press (QTest.keyClick) on the widget with the focus.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.canvas import style
from engine.graph import Edge

from .canvas_helpers import open_view

NONE = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def key(key, modifier=NONE) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)


def typed(text: str) -> None:
    QTest.keyClicks(QApplication.focusWidget(), text)


def focused_view(qtbot, project=None, size=(1000, 600)):
    document, view = open_view(qtbot, project, size)
    with qtbot.waitActive(view):
        view.activateWindow()
    view.setFocus()
    return document, view


def selected(view) -> list[str]:
    return view.selected_node_ids() + view.selected_group_ids()


def test_arrow_keys_walk_the_network_downstream_upstream_and_across(qtbot):
    document, view = focused_view(qtbot)
    document.add_node_after("batchnorm2d", "conv1")  # a second branch out of conv1, below relu1
    key(Qt.Key.Key_Right)  # nothing selected: the Input first
    assert selected(view) == ["input"]
    key(Qt.Key.Key_Right)
    key(Qt.Key.Key_Right)
    assert selected(view) == ["relu1"]
    key(Qt.Key.Key_Down)  # across: the other block conv1 feeds
    (branch,) = [n.id for n in document.graph.nodes.values() if n.type == "batchnorm2d"]
    assert selected(view) == [branch]
    key(Qt.Key.Key_Down)  # nothing further that way: the selection stays
    assert selected(view) == [branch]
    key(Qt.Key.Key_Up)
    key(Qt.Key.Key_Left)
    assert selected(view) == ["conv1"]
    assert view.hasFocus()  # the keys moved the selection, they did not scroll or leave


def test_a_wrapped_chain_is_still_walked_in_order(qtbot):
    document, view = focused_view(qtbot)
    document.move_nodes({"pool1": (0.0, 300.0), "flatten": (260.0, 300.0)})  # the chain wraps to a row below
    view.select_nodes(["relu1"])
    key(Qt.Key.Key_Right)
    assert selected(view) == ["pool1"]
    key(Qt.Key.Key_Right)
    key(Qt.Key.Key_Left)
    assert selected(view) == ["pool1"]


def test_the_view_scrolls_to_keep_the_selection_in_sight(qtbot):
    document, view = focused_view(qtbot, size=(500, 400))
    view.reset_zoom()
    view.centerOn(view.canvas_scene.card_for("input").sceneBoundingRect().center())
    visible = lambda node: view.mapToScene(view.viewport().rect()).boundingRect().contains(  # noqa: E731
        view.canvas_scene.card_for(node).sceneBoundingRect())
    assert not visible("output")
    key(Qt.Key.Key_Right)
    for _ in range(6):
        key(Qt.Key.Key_Right)
        assert visible(selected(view)[0])
    assert selected(view) == ["output"]


def test_delete_removes_the_selected_card_undoably_and_selects_its_neighbour(qtbot):
    document, view = focused_view(qtbot)
    view.select_nodes(["pool1"])
    key(Qt.Key.Key_Delete)
    assert "pool1" not in document.graph.nodes and selected(view) == ["relu1"]
    assert document.undo_stack.undoText() == "Delete pool1"
    document.undo_stack.undo()
    assert Edge("relu1", "pool1") in document.graph.edges and Edge("pool1", "flatten") in document.graph.edges


def card_rects(view) -> dict[str, QRectF]:
    return {node_id: QRectF(item.pos(), QRectF(0, 0, style.CARD_W, style.CARD_H).size())
            for node_id, item in view.canvas_scene.node_items.items()}


def test_blocks_added_by_keyboard_land_after_their_source_and_clear_of_every_card(qtbot):
    """Issue 24, item 3: three Shift+A additions all landed on one spot, hiding each other."""
    document, view = focused_view(qtbot)
    document.disconnect([Edge("fc1", "output")])
    view.select_nodes(["fc1"])
    added = []
    for query in ("dropout", "dense", "dropout"):
        key(Qt.Key.Key_A, SHIFT)
        typed(query)
        key(Qt.Key.Key_Return)
        (new,) = selected(view)
        added.append(new)
    chain = ["fc1", *added]
    assert all(Edge(a, b) in document.graph.edges for a, b in zip(chain, chain[1:]))
    rects = card_rects(view)
    overlapping = [(a, b) for a in rects for b in rects if a < b and rects[a].intersects(rects[b])]
    assert overlapping == []
    assert all(rects[b].left() > rects[a].right() for a, b in zip(chain, chain[1:]))  # after the one feeding it
    document.undo_stack.undo()
    assert added[-1] not in document.graph.nodes  # one undo step each


def test_a_right_click_spot_on_a_card_moves_the_new_block_clear_of_it(qtbot):
    document, view = focused_view(qtbot)
    spot = view.canvas_scene.card_for("relu1").sceneBoundingRect().center()
    view.show_quick_add(spot)
    typed("dropout")
    key(Qt.Key.Key_Return)
    (new,) = selected(view)
    rects = card_rects(view)
    assert not any(rects[new].intersects(rect) for node, rect in rects.items() if node != new)


def test_connect_to_wires_the_selection_to_a_block_named_by_typing(window, qtbot):
    from .test_keyboard import active

    active(window, qtbot)
    document, canvas = window.document, window.canvas
    edge = next(e for e in document.graph.edges if e.dst == "output")
    document.disconnect([edge])
    canvas.setFocus()
    canvas.select_nodes([edge.src])
    key(Qt.Key.Key_K, CTRL)
    popup = canvas.connect_popup
    assert popup is not None and popup.isVisible() and QApplication.focusWidget() is popup.search
    typed("outp")
    assert popup.shown_labels() == ["output — Output"]
    key(Qt.Key.Key_Return)
    assert not popup.isVisible() and QApplication.focusWidget() is canvas
    assert edge in document.graph.edges
    assert document.undo_stack.undoText() == f"Connect {document.graph.nodes[edge.src].name} → output"


def test_enter_edits_the_selection_in_the_inspector_and_escape_comes_back(window, qtbot):
    from .test_keyboard import active

    active(window, qtbot)
    canvas = window.canvas
    canvas.setFocus()
    canvas.select_nodes(["conv1"])
    key(Qt.Key.Key_Return)
    editor = window.inspector.page.editors["out_channels"]
    assert QApplication.focusWidget() is editor.focusProxy()
    key(Qt.Key.Key_A, CTRL)
    typed("12")
    key(Qt.Key.Key_Return)
    assert window.document.graph.nodes["conv1"].params["out_channels"] == 12
    key(Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is canvas


def test_f2_renames_the_selection_undoably(window, qtbot):
    from .test_keyboard import active

    active(window, qtbot)
    canvas = window.canvas
    canvas.setFocus()
    canvas.select_nodes(["conv1"])
    key(Qt.Key.Key_F2)
    assert QApplication.focusWidget() is window.inspector.page.name_edit
    typed("features")  # the old name is selected: typing replaces it
    key(Qt.Key.Key_Return)
    assert window.document.graph.nodes["conv1"].name == "features"
    assert window.document.undo_stack.undoText().startswith("Rename")
    key(Qt.Key.Key_Escape)
    assert QApplication.focusWidget() is canvas
