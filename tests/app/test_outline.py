"""The Network Outline: the canvas's blocks as rows a screen reader can walk (issue 24, item 7).

Real key presses drive it; what assistive technology sees is read through
QAccessible, as a screen reader would.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.graph import Edge

from .test_keyboard import active

ALT = Qt.KeyboardModifier.AltModifier


def key(key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(QApplication.focusWidget(), key, modifier)


def accessible_texts(widget) -> list[str]:
    """The names of every accessible child of ``widget`` (a tree's cells, header included)."""
    interface = QAccessible.queryAccessibleInterface(widget)
    texts = []
    for index in range(interface.childCount()):
        child = interface.child(index)
        if child is not None:
            texts.append(child.text(QAccessible.Text.Name))
    return texts


def test_the_outline_lists_every_block_in_flow_order_with_type_shape_and_problems(window, qtbot):
    outline = window.outline
    graph = window.document.graph
    assert graph.nodes[outline.keys()[0]].type == "input"
    assert set(outline.keys()) == set(graph.nodes)  # LeNet-5 has no collapsed blocks
    conv = next(node for node in graph.nodes.values() if node.type == "conv2d")
    name, type_title, shape, problems = outline.row_texts(conv.id)
    assert (name, type_title, problems) == (conv.name, "Conv2d", "none")
    assert shape == "×".join(map(str, window.document.analysis.nodes[conv.id].output_shape))
    # A reader walking the table hears the same cells.
    heard = accessible_texts(outline)
    assert f"{conv.name}, Conv2d, {shape}" in heard and shape in heard and "Output shape" in heard


def test_the_outline_follows_edits_and_shows_problems(window, qtbot):
    document, outline = window.document, window.outline
    edge = next(e for e in document.graph.edges if e.dst == "output" or document.graph.nodes[e.dst].type == "output")
    document.disconnect([edge])
    document.refresh_analysis()
    output = edge.dst
    assert outline.row_texts(output)[3] != "none"  # the Output now says what it lacks
    document.rename(edge.src, "head")
    qtbot.waitUntil(lambda: outline.row_texts(edge.src)[0] == "head")
    document.undo_stack.undo()
    document.undo_stack.undo()
    document.refresh_analysis()
    assert outline.row_texts(output)[3] == "none"


def test_selection_is_shared_by_the_canvas_and_the_outline_both_ways(window, qtbot):
    active(window, qtbot)
    outline, canvas = window.outline, window.canvas
    canvas.setFocus()
    key(Qt.Key.Key_Right)  # the Input
    key(Qt.Key.Key_Right)
    (chosen,) = canvas.selected_node_ids()
    assert [outline.keys()[index.row()] for index in outline.selectionModel().selectedRows()] == [chosen]
    key(Qt.Key.Key_5, ALT)  # View ▸ Go To ▸ Outline
    assert QApplication.focusWidget() is outline and window.outline_dock.isVisible()
    key(Qt.Key.Key_Down)
    following = outline.keys()[outline.keys().index(chosen) + 1]
    assert canvas.selected_node_ids() == [following]
    key(Qt.Key.Key_Return)  # Enter edits the block in the Inspector, as on the canvas
    assert window.inspector_dock.isAncestorOf(QApplication.focusWidget())
    assert window.inspector.page.node_id == following


def test_a_block_added_by_keyboard_gets_its_row_selected(window, qtbot):
    active(window, qtbot)
    canvas, outline = window.canvas, window.outline
    canvas.setFocus()
    source = outline.keys()[1]
    canvas.select_nodes([source])
    key(Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(QApplication.focusWidget(), "dropout")
    key(Qt.Key.Key_Return)
    (new,) = canvas.selected_node_ids()
    qtbot.waitUntil(lambda: new in outline.keys())
    assert [outline.keys()[index.row()] for index in outline.selectionModel().selectedRows()] == [new]
    assert Edge(source, new) in window.document.graph.edges
