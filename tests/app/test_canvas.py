"""The canvas with real Qt events: drops, edge gestures, moves, keys, zoom, badges."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.canvas.port_item import CANDIDATE, HOVER_REFUSED, IDLE, REFUSED
from app.canvas.style import SNAP
from engine.graph import Edge

from .canvas_helpers import (
    block_mime,
    card_point,
    drag,
    drop,
    input_port_point,
    move_held,
    open_view,
    output_port_point,
    press,
    release,
    view_point,
)


def status_messages(document) -> list[str]:
    messages: list[str] = []
    document.status_message.connect(messages.append)
    return messages


def test_dropping_a_palette_block_adds_it_at_the_drop_point(qtbot):
    document, view = open_view(qtbot)
    target = QPoint(400, 450)
    assert drop(view, block_mime("batchnorm2d"), target) == (True, True)
    (new,) = [n for n in document.graph.nodes.values() if n.type == "batchnorm2d"]
    card = view.canvas_scene.node_items[new.id].sceneBoundingRect()
    assert card.contains(view.mapToScene(target))
    assert new.ui["x"] % SNAP == 0 and new.ui["y"] % SNAP == 0
    assert document.undo_stack.undoText() == "Add BatchNorm2d"
    assert view.selected_node_ids() == [new.id]


def test_file_url_drops_are_left_to_the_window(qtbot, tmp_path):
    document, view = open_view(qtbot)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "net.cnn.json"))])
    count = len(document.graph.nodes)
    assert drop(view, mime, QPoint(300, 300)) == (False, False)
    assert len(document.graph.nodes) == count


def test_dragging_from_an_output_to_an_input_connects_them(qtbot):
    document, view = open_view(qtbot)
    document.disconnect([Edge("relu1", "pool1")])
    drag(view, output_port_point(view, "relu1"), input_port_point(view, "pool1"))
    assert Edge("relu1", "pool1") in document.graph.edges
    assert document.undo_stack.undoText() == "Connect relu1 → pool1"
    assert Edge("relu1", "pool1") in view.canvas_scene.edge_items
    document.undo_stack.undo()
    assert Edge("relu1", "pool1") not in document.graph.edges
    assert Edge("relu1", "pool1") not in view.canvas_scene.edge_items
    document.undo_stack.redo()
    assert Edge("relu1", "pool1") in view.canvas_scene.edge_items


def test_dragging_backwards_from_a_free_input_connects_too(qtbot):
    document, view = open_view(qtbot)
    document.disconnect([Edge("relu1", "pool1")])
    drag(view, input_port_point(view, "pool1"), output_port_point(view, "relu1"))
    assert Edge("relu1", "pool1") in document.graph.edges


@pytest.mark.parametrize(("src", "dst", "reason"), [
    ("fc1", "conv1", "that would make a cycle"),  # conv1 is free: only the cycle is wrong
    ("input", "pool1", "pool1 already has an input"),
    ("conv1", "conv1", "a node cannot feed itself"),
])
def test_refused_drags_show_why_and_add_no_edge(qtbot, src, dst, reason):
    document, view = open_view(qtbot)
    if dst == "conv1" and src != "conv1":
        document.disconnect([Edge("input", "conv1")])
    edges = list(document.graph.edges)
    messages = status_messages(document)
    start, end = output_port_point(view, src), input_port_point(view, dst)
    press(view, start)
    move_held(view, start + QPoint(0, 150))  # over empty canvas
    target = view.canvas_scene.node_items[dst].inputs["in"]
    assert target.drag_state == REFUSED  # marked as soon as the drag starts
    move_held(view, end)
    assert target.drag_state == HOVER_REFUSED
    assert view.viewport().cursor().shape() == Qt.CursorShape.ForbiddenCursor
    assert reason in messages[-1]
    release(view, end)
    assert document.graph.edges == edges
    assert target.drag_state == IDLE
    assert view.viewport().cursor().shape() != Qt.CursorShape.ForbiddenCursor


def test_valid_targets_glow_while_dragging(qtbot):
    document, view = open_view(qtbot)
    document.disconnect([Edge("relu1", "pool1")])
    start = output_port_point(view, "relu1")
    press(view, start)
    move_held(view, start + QPoint(40, 60))
    ports = {node_id: item.inputs["in"].drag_state for node_id, item in view.canvas_scene.node_items.items()
             if "in" in item.inputs}
    assert ports["pool1"] == CANDIDATE
    assert ports["conv1"] == REFUSED and ports["relu1"] == REFUSED
    release(view, start + QPoint(40, 60))


def test_selecting_an_edge_and_pressing_delete_removes_it(qtbot):
    document, view = open_view(qtbot)
    edge_item = view.canvas_scene.edge_items[Edge("pool1", "flatten")]
    middle = view_point(view, edge_item.path().pointAtPercent(0.5))
    press(view, middle)
    release(view, middle)
    assert edge_item.isSelected()
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert Edge("pool1", "flatten") not in document.graph.edges
    assert document.undo_stack.undoText() == "Disconnect pool1 → flatten"


def test_dragging_an_edge_end_away_disconnects_it_and_onto_a_port_moves_it(qtbot):
    document, view = open_view(qtbot)
    edge_item = view.canvas_scene.edge_items[Edge("relu1", "pool1")]
    grab = view_point(view, edge_item.path().pointAtPercent(0.93))
    drag(view, grab, grab + QPoint(0, 200))
    assert Edge("relu1", "pool1") not in document.graph.edges
    assert document.undo_stack.undoText() == "Disconnect relu1 → pool1"
    document.undo_stack.undo()
    document.disconnect([Edge("fc1", "output")])
    drag(view, input_port_point(view, "pool1"), input_port_point(view, "output"))  # picks up the edge
    assert Edge("relu1", "output") in document.graph.edges
    assert Edge("relu1", "pool1") not in document.graph.edges
    assert document.undo_stack.undoText() == "Reconnect relu1 → output"


def test_deleting_a_node_by_key_removes_its_edges_and_undo_restores_them(qtbot):
    document, view = open_view(qtbot)
    edges = list(document.graph.edges)
    view.select_nodes(["pool1"])
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "pool1" not in view.canvas_scene.node_items
    assert all("pool1" not in (e.src, e.dst) for e in view.canvas_scene.edge_items)
    document.undo_stack.undo()
    assert document.graph.edges == edges
    assert set(view.canvas_scene.edge_items) == set(edges)


def test_moving_a_card_is_one_snapped_undo_step(qtbot):
    document, view = open_view(qtbot)
    count = document.undo_stack.count()
    start = card_point(view, "conv1")
    press(view, start)
    for step in range(1, 8):
        move_held(view, start + QPoint(step * 9, step * 7))
    release(view, start + QPoint(63, 49))
    ui = document.graph.nodes["conv1"].ui
    assert document.undo_stack.count() == count + 1
    assert document.undo_stack.undoText() == "Move conv1"
    assert ui["x"] % SNAP == 0 and ui["y"] % SNAP == 0
    assert (ui["x"], ui["y"]) != (260, 0)
    assert view.canvas_scene.node_items["conv1"].pos() == QPointF(ui["x"], ui["y"])
    document.undo_stack.undo()
    assert view.canvas_scene.node_items["conv1"].pos() == QPointF(260, 0)


def test_rubber_band_selects_cards_and_only_their_inner_edges(qtbot):
    document, view = open_view(qtbot)
    conv, pool = view.canvas_scene.node_items["conv1"], view.canvas_scene.node_items["pool1"]
    top_left = view_point(view, conv.sceneBoundingRect().topLeft() - QPointF(20, 30))
    bottom_right = view_point(view, pool.sceneBoundingRect().bottomRight() + QPointF(10, 30))
    drag(view, top_left, bottom_right, steps=6)
    assert sorted(view.selected_node_ids()) == ["conv1", "pool1", "relu1"]
    assert set(view.canvas_scene.selected_edges()) == {Edge("conv1", "relu1"), Edge("relu1", "pool1")}


def test_copy_paste_and_duplicate_shortcuts(qtbot):
    document, view = open_view(qtbot)
    view.select_nodes(["conv1", "relu1"])
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert sorted(view.selected_node_ids()) == ["conv2", "relu2"]
    assert Edge("conv2", "relu2") in document.graph.edges
    assert document.undo_stack.undoText() == "Paste 2 nodes"
    QTest.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert sorted(view.selected_node_ids()) == ["conv3", "relu3"]
    assert document.undo_stack.undoText() == "Duplicate 2 nodes"


def test_cards_show_the_error_badge_until_the_graph_is_fixed(qtbot):
    document, view = open_view(qtbot)
    fc1 = view.canvas_scene.node_items["fc1"]
    assert fc1.severity is None and fc1.texts[3] == "→ 10"
    document.remove_nodes(["flatten"])
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.connect("pool1", "fc1")  # Dense fed by a 6×14×14 map
    assert fc1.severity == "error"
    assert "Insert a Flatten" in fc1.toolTip()
    assert "Dense needs a flat input" in fc1.toolTip()
    with qtbot.waitSignal(document.analysis_changed, timeout=2000):
        document.undo_stack.undo()
        document.undo_stack.undo()
    assert fc1.severity is None and fc1.texts[3] == "→ 10"


def test_card_text_shows_parameters_shape_and_count(qtbot):
    document, view = open_view(qtbot)
    assert view.canvas_scene.node_items["conv1"].texts == ("conv1", "Conv2d", "5×5, 6 ch, s1, p2", "→ 6×28×28",
                                                            "156 params")
    document.rename("conv1", "stem")
    assert view.canvas_scene.node_items["conv1"].texts[0] == "stem"


def test_wheel_zoom_keeps_the_point_under_the_cursor(qtbot):
    document, view = open_view(qtbot)
    cursor = QPointF(613, 217)
    before = view.mapToScene(cursor.toPoint())
    zoom = view.zoom
    for delta in (120, 120, -120 * 3, 240):
        event = QWheelEvent(cursor, view.viewport().mapToGlobal(cursor), QPoint(), QPoint(0, delta),
                            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(view.viewport(), event)
        after = view.viewportTransform().map(before)
        assert abs(after.x() - cursor.x()) <= 1.0 and abs(after.y() - cursor.y()) <= 1.0
    assert view.zoom > zoom


def test_shift_a_opens_quick_add_which_adds_and_connects_after_the_selection(qtbot):
    document, view = open_view(qtbot)
    document.disconnect([Edge("fc1", "output")])
    view.select_nodes(["fc1"])
    QTest.keyClick(view, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    popup = view.quick_add_popup
    assert popup is not None and popup.isVisible()
    QTest.keyClicks(popup.search, "drop")
    assert popup.visible_types()[0] == "dropout"  # the best match first (Dropout2d, StochasticDepth follow)
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    (new,) = [n.id for n in document.graph.nodes.values() if n.type == "dropout"]
    assert Edge("fc1", new) in document.graph.edges
    assert document.undo_stack.undoText() == "Add Dropout"
    assert view.selected_node_ids() == [new]


def test_right_click_on_empty_canvas_opens_quick_add_there(qtbot):
    from PySide6.QtGui import QContextMenuEvent

    document, view = open_view(qtbot)
    spot = QPoint(300, 480)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, spot, view.viewport().mapToGlobal(spot))
    QApplication.sendEvent(view.viewport(), event)
    popup = view.quick_add_popup
    assert popup is not None and popup.isVisible()
    QTest.keyClicks(popup.search, "max")
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    (new,) = [n for n in document.graph.nodes.values() if n.type == "maxpool2d" and n.id != "pool1"]
    assert view.canvas_scene.node_items[new.id].sceneBoundingRect().contains(view.mapToScene(spot))
    assert not document.graph.incoming(new.id)  # nothing was selected to connect from


def test_theme_change_restyles_the_cards(qtbot):
    from PySide6.QtGui import QColor, QPalette

    document, view = open_view(qtbot)
    dark = QPalette(view.palette())
    dark.setColor(QPalette.ColorRole.Base, QColor("#202124"))
    dark.setColor(QPalette.ColorRole.Text, QColor("#e8eaed"))
    view.setPalette(dark)
    assert view.canvas_scene.canvas_style.colours.dark
    assert not view.grab().isNull()


def test_clicks_report_the_node_and_double_clicks_activate_it(qtbot):
    document, view = open_view(qtbot)
    point = card_point(view, "pool1")
    with qtbot.waitSignal(view.node_clicked) as clicked, qtbot.waitSignal(view.selection_changed) as selected:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert clicked.args == ["pool1"] and selected.args == [["pool1"]]
    with qtbot.waitSignal(view.node_activated) as activated:
        QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    assert activated.args == ["pool1"]
    assert document.undo_stack.count() == 0  # clicking moved nothing


def test_middle_drag_pans_without_editing(qtbot):
    document, view = open_view(qtbot)
    start, end = QPoint(500, 300), QPoint(380, 250)
    before = view.mapToScene(start)
    QTest.mousePress(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, start)
    move_held(view, end, Qt.MouseButton.MiddleButton)
    QTest.mouseRelease(view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, end)
    assert view.mapToScene(end) == before  # the canvas followed the pointer
    assert document.undo_stack.count() == 0


def test_badges_and_thumbnails_from_training_show_on_cards(qtbot):
    from PySide6.QtGui import QImage

    document, view = open_view(qtbot)
    item = view.canvas_scene.node_items["conv1"]
    image = QImage(8, 8, QImage.Format.Format_Grayscale8)
    image.fill(128)
    view.set_node_badge("conv1", "frozen")
    view.set_node_thumbnail("conv1", image)
    assert item.badge == "frozen" and item.thumbnail is image
    assert not view.grab().isNull()
    view.set_node_badge("conv1", None)
    view.set_node_thumbnail("conv1", None)
    assert item.badge is None and item.thumbnail is None


def test_a_closed_view_stops_mirroring_the_graph(qtbot):
    from shiboken6 import Shiboken

    document, view = open_view(qtbot)
    scene = view.canvas_scene
    view.close()
    Shiboken.delete(view)
    assert not Shiboken.isValid(scene)
    document.add_node("conv2d", (0, 300))  # would touch a deleted scene if still subscribed
    assert document.undo_stack.undoText() == "Add Conv2d"


def test_cards_keep_their_body_visible_when_selected_with_an_error(qtbot):
    document, view = open_view(qtbot)
    document.remove_nodes(["flatten"])
    document.connect("pool1", "fc1")
    document.refresh_analysis()
    view.select_nodes(["fc1", "conv1"])
    view.fit_to_view()
    image = view.grab().toImage()
    card = view.canvas_scene.canvas_style.colours.card
    for node_id in ("fc1", "conv1", "relu1"):  # error + selected, selected, plain
        item = view.canvas_scene.node_items[node_id]
        spot = view_point(view, item.mapToScene(QPointF(item.card_rect().width() * 0.6, 40)))
        pixel = image.pixelColor(spot * image.devicePixelRatio())
        assert abs(pixel.red() - card.red()) + abs(pixel.green() - card.green()) < 30, node_id


def test_edges_of_a_wrapped_chain_run_between_rows_not_through_cards():
    from pathlib import Path

    from PySide6.QtCore import QPointF, QRectF

    from app.canvas.edge_item import curve
    from engine import load_project
    from engine.layout import CARD_HEIGHT, CARD_WIDTH

    graph = load_project(Path(__file__).parents[2] / "presets" / "lenet5.cnn.json").graph
    cards = {n.id: QRectF(n.ui["x"], n.ui["y"], CARD_WIDTH, CARD_HEIGHT) for n in graph.nodes.values()}
    wrapped = 0
    for edge in graph.edges:
        source, target = cards[edge.src], cards[edge.dst]
        path = curve(QPointF(source.right(), source.center().y()), QPointF(target.left(), target.center().y()),
                     vertical=False)
        wrapped += target.top() > source.bottom()
        for step in range(1, 40):
            point = path.pointAtPercent(step / 40)
            assert not any(card.adjusted(2, 2, -2, -2).contains(point) for card in cards.values()), edge
    assert wrapped == 3  # LeNet-5's 14 layers sit in four rows
