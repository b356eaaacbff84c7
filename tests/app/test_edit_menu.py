"""Edit menu keys as people expect them: Redo on Ctrl+Y, Paste clear of the originals, Find by name."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from app.canvas.find_bar import FindBar

from .canvas_helpers import open_view

CTRL = Qt.KeyboardModifier.ControlModifier


def overlapping_cards(view) -> list[tuple[str, str]]:
    cards = [(card.node_id if hasattr(card, "node_id") else card.group_id, card.sceneBoundingRect())
             for card in view.canvas_scene.cards() if card.isVisible()]
    return [(a, b) for i, (a, ra) in enumerate(cards) for b, rb in cards[i + 1:] if ra.intersects(rb)]


def test_paste_lands_clear_of_the_originals_and_of_earlier_pastes(qtbot):
    document, view = open_view(qtbot)
    assert not overlapping_cards(view)
    view.setFocus()
    view.select_nodes(["conv1", "relu1", "pool1"])
    QTest.keyClick(view, Qt.Key.Key_C, CTRL)
    for pasted in (["conv2", "pool2", "relu2"], ["conv3", "pool3", "relu3"]):
        QTest.keyClick(view, Qt.Key.Key_V, CTRL)
        assert sorted(view.selected_node_ids()) == pasted
        assert not overlapping_cards(view)
    # Their arrangement is the copied one: the same gaps between the cards.
    ui = {node_id: document.graph.nodes[node_id].ui for node_id in ("conv1", "relu1", "conv2", "relu2")}
    assert ui["relu2"]["x"] - ui["conv2"]["x"] == ui["relu1"]["x"] - ui["conv1"]["x"]
    assert ui["relu2"]["y"] - ui["conv2"]["y"] == ui["relu1"]["y"] - ui["conv1"]["y"]


def test_cut_then_paste_puts_the_nodes_back_where_they_were(qtbot):
    document, view = open_view(qtbot)
    before = dict(document.graph.nodes["relu1"].ui)
    view.setFocus()
    view.select_nodes(["relu1"])
    QTest.keyClick(view, Qt.Key.Key_X, CTRL)
    QTest.keyClick(view, Qt.Key.Key_V, CTRL)
    (pasted,) = view.selected_node_ids()
    assert (document.graph.nodes[pasted].ui["x"], document.graph.nodes[pasted].ui["y"]) == (before["x"], before["y"])


def test_redo_gets_ctrl_y_beside_the_platform_keys_outside_macos():
    from app.main_window import redo_shortcuts

    gnome = [QKeySequence("Ctrl+Shift+Z")]
    assert redo_shortcuts(gnome, "linux") == [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")]
    assert redo_shortcuts(gnome, "darwin") == gnome
    windows = [QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")]
    assert redo_shortcuts(windows, "win32") == windows  # never twice


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS redoes with Cmd+Shift+Z only")
def test_ctrl_y_redoes(window, qtbot):
    window.activateWindow()
    window.canvas.setFocus()
    window.canvas.select_nodes(["tanh1"])
    QTest.keyClick(window.canvas, Qt.Key.Key_Delete)
    QTest.keyClick(window.canvas, Qt.Key.Key_Z, CTRL)
    assert "tanh1" in window.document.graph.nodes
    QTest.keyClick(window.canvas, Qt.Key.Key_Y, CTRL)
    assert "tanh1" not in window.document.graph.nodes
    assert window.undo_action.text() == "&Undo Delete tanh1"


def card_centre_in_view(view, node_id: str):
    card = view.canvas_scene.card_for(node_id)
    return view.mapFromScene(card.sceneBoundingRect().center())


def test_ctrl_f_finds_a_node_by_name_selects_it_and_brings_it_to_the_middle(window, qtbot):
    view = window.canvas
    view.zoom_in()
    view.zoom_in()  # close up: the far end of the network is out of sight
    view.select_nodes(["conv1"])
    view.centerOn(view.canvas_scene.card_for("conv1").sceneBoundingRect().center())
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_F, CTRL)
    bar = view.findChild(FindBar)
    assert bar is not None and bar.isVisible() and bar.field.hasFocus()
    QTest.keyClicks(bar.field, "FC")  # any part of a name, any case
    completer = bar.field.completer()
    shown = [completer.completionModel().index(row, 0).data() for row in range(completer.completionCount())]
    assert shown == ["fc1", "fc2", "fc3"]
    bar.field.clear()
    QTest.keyClicks(bar.field, "fc3")
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert view.selected_node_ids() == ["fc3"]
    middle = view.viewport().rect().center()
    assert (card_centre_in_view(view, "fc3") - middle).manhattanLength() < 4
    assert window.statusBar().currentMessage() == "Found fc3"
    QTest.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible()


def test_find_says_when_nothing_has_that_name(window, qtbot):
    view = window.canvas
    view.setFocus()
    bar = view.show_find()
    QTest.keyClicks(bar.field, "resblock")
    QTest.keyClick(bar.field, Qt.Key.Key_Return)
    assert "Nothing on the canvas is called “resblock”" in window.statusBar().currentMessage()
    assert bar.isVisible()  # to correct the name


def test_ctrl_f_in_the_palette_still_searches_the_palette(window, qtbot):
    palette = window.palette_panel
    palette.tree.setFocus()
    QTest.keyClick(palette.tree, Qt.Key.Key_F, CTRL)
    assert palette.search.hasFocus()
    bar = window.canvas.findChild(FindBar)
    assert bar is None or not bar.isVisible()
