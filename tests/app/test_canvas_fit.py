"""Tidy Layout and Fit to Window keep the cards readable: chains wrap to the view, fitting never
shrinks the text below READABLE_ZOOM (the rest is a scroll away)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.canvas.view import READABLE_ZOOM


def card_in_view(view, node_id: str) -> bool:
    rect = view.canvas_scene.node_items[node_id].sceneBoundingRect()
    return view.viewport().rect().contains(view.mapFromScene(rect).boundingRect())


def test_fit_to_window_never_shrinks_a_long_row_below_a_readable_zoom(qtbot, window):
    view, document = window.canvas, window.document
    document.tidy_layout("LR")  # no view shape given: the 14 layers in one row, ~3600 px wide
    rows = {node.ui["y"] for node in document.graph.nodes.values()}
    assert len(rows) == 1
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)  # View ▸ Fit to Window
    assert view.zoom == READABLE_ZOOM  # was ~0.3: every card's text a few pixels high
    assert card_in_view(view, "input")  # the beginning shows; the rest is a scroll away
    assert view.horizontalScrollBar().maximum() > view.horizontalScrollBar().minimum()


def test_tidy_from_the_toolbar_wraps_the_chain_to_the_view_and_shows_all_of_it_readably(qtbot, window):
    view, document = window.canvas, window.document
    QTest.mouseClick(window.toolbar.widgetForAction(window.tidy_lr_action), Qt.MouseButton.LeftButton)
    rows = {node.ui["y"] for node in document.graph.nodes.values()}
    assert len(rows) >= 3  # wrapped, like lines of text
    assert view.zoom >= READABLE_ZOOM
    assert all(card_in_view(view, node_id) for node_id in document.graph.nodes)
    assert document.undo_stack.undoText() == "Tidy layout"  # one undoable step


def test_fitting_resnet50_stays_readable(qtbot, window):
    from app.presets_menu import presets_folder

    window.open_preset(presets_folder() / "resnet50.cnn.json")
    view = window.canvas
    view.fit_to_view()
    assert view.zoom >= READABLE_ZOOM
    assert card_in_view(view, "input")
