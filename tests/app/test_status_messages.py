"""The status bar says what the last gesture did: a refusal from a drag never outlives a later success."""
from __future__ import annotations

from PySide6.QtCore import QPoint

from engine.graph import Edge

from .canvas_helpers import input_port_point, lenet_project, move_held, output_port_point, press, release


def open_chain(window):
    """LeNet's chain in the window, with fc1 → output removed (output's input is free)."""
    window.document.new_project(lenet_project())
    window.document.disconnect([Edge("fc1", "output")])
    window.canvas.fit_to_view()
    return window.canvas


def test_a_refusal_seen_while_dragging_goes_once_the_drop_connects(window, qtbot):
    view, bar = open_chain(window), window.statusBar()
    start = output_port_point(view, "fc1")
    press(view, start)
    move_held(view, start + QPoint(0, 120))
    move_held(view, input_port_point(view, "pool1"))  # taken: refused while hovering
    assert "Cannot connect fc1 → pool1" in bar.currentMessage()
    move_held(view, input_port_point(view, "output"))
    assert "Cannot connect" not in bar.currentMessage()  # off the refused port, its refusal is gone
    release(view, input_port_point(view, "output"))
    assert Edge("fc1", "output") in window.document.graph.edges
    assert bar.currentMessage() == "Connected fc1 → output"


def test_a_refused_drop_is_replaced_by_the_next_connection(window, qtbot):
    view, bar = open_chain(window), window.statusBar()
    for target in ("pool1", "output"):
        start, end = output_port_point(view, "fc1"), input_port_point(view, target)
        press(view, start)
        move_held(view, start + QPoint(0, 120))
        move_held(view, end)
        release(view, end)
        if target == "pool1":
            assert "Cannot connect fc1 → pool1" in bar.currentMessage()  # the drop says why it was refused
    assert Edge("fc1", "output") in window.document.graph.edges
    assert bar.currentMessage() == "Connected fc1 → output"
