"""One missing edge is one problem: the card that causes it is red, the cards after it wait quietly."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.node_item import WAITING_TEXT
from engine.graph import Edge

from .canvas_helpers import press, release, view_point


def test_deleting_the_first_edge_makes_one_error_and_thirteen_waiting_cards(qtbot, window):
    view, scene = window.canvas, window.canvas.canvas_scene
    view.center_on_nodes(["input", "conv1"])
    edge_item = scene.edge_items[Edge("input", "conv1")]
    middle = view_point(view, edge_item.path().pointAtPercent(0.5))
    view.setFocus()
    press(view, middle)
    release(view, middle)
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert Edge("input", "conv1") not in window.document.graph.edges
    qtbot.waitUntil(lambda: scene.node_items["conv1"].severity == "error", timeout=2000)

    red = [node_id for node_id, item in scene.node_items.items() if item.severity]
    waiting = [node_id for node_id, item in scene.node_items.items() if item.waiting_for == "conv1"]
    assert red == ["conv1"]
    assert len(waiting) == 12 and "output" in waiting  # all but the Input and conv1 itself
    fc1 = scene.node_items["fc1"]
    assert fc1.texts[3] == WAITING_TEXT and "Waiting for input: fix conv1 first" in fc1.toolTip()
    assert window.issues_dock.windowTitle() == "Problems (1)"
    assert window.issues.tree.topLevelItemCount() == 1
    assert "conv1: Conv2d needs an input" in window.issues.tree.topLevelItem(0).text(0)
    assert window.validity_status.text() == "1 error"
    window.canvas.select_nodes(["fc1"])  # the inspector says the same, in words
    assert window.inspector.page.shape_label.text() == "waiting for input (fix conv1 first)"

    window.undo_action.trigger()  # connected again: nothing waits any more
    qtbot.waitUntil(lambda: scene.node_items["conv1"].severity is None, timeout=2000)
    assert not any(item.waiting_for for item in scene.node_items.values())
    assert fc1.texts[3] == "→ 120"
