"""The minimap: an overview of large networks that moves the main view."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMenu

from app.presets_menu import presets_folder
from engine import Graph, Project
from engine.project import load_project

from .canvas_helpers import open_view

LEFT = Qt.MouseButton.LeftButton


def open_large(qtbot):
    document, view = open_view(qtbot, load_project(presets_folder() / "vgg16.cnn.json"), size=(900, 560))
    qtbot.waitUntil(lambda: view.minimap.isVisible())
    return document, view


def test_a_large_network_gets_a_minimap_in_the_corner_outlining_the_view(qtbot):
    _, view = open_large(qtbot)
    minimap = view.minimap
    assert minimap.geometry().bottomRight().x() > view.width() - 40
    assert minimap.geometry().bottomRight().y() > view.height() - 40
    outline = minimap.to_minimap(minimap.visible_rect())
    assert minimap.rect().intersects(outline.toAlignedRect())
    assert outline.width() < minimap.width()  # the view shows part of the network


def test_dragging_in_the_minimap_moves_the_main_view(qtbot):
    _, view = open_large(qtbot)
    minimap = view.minimap
    before = minimap.visible_rect()
    start, end = QPoint(30, 40), QPoint(minimap.width() - 30, minimap.height() - 40)
    QTest.mousePress(minimap, LEFT, Qt.KeyboardModifier.NoModifier, start)
    for step in range(1, 5):
        QTest.mouseMove(minimap, start + (end - start) * step / 4)
    QTest.mouseRelease(minimap, LEFT, Qt.KeyboardModifier.NoModifier, end)

    after = minimap.visible_rect()
    assert after != before
    target = minimap.to_scene(QPointF(end))
    assert abs(after.center().x() - target.x()) < 2 and abs(after.center().y() - target.y()) < 2


def test_a_small_network_needs_none_and_the_view_menu_turns_it_off(qtbot):
    graph = Graph()
    graph.connect(graph.add_node("input", ui={"x": 0, "y": 0}).id, graph.add_node("output", ui={"x": 240, "y": 0}).id)
    _, view = open_view(qtbot, Project(graph, "Small"))
    qtbot.wait(50)
    assert not view.minimap.isVisible()

    _, large = open_large(qtbot)
    large.minimap.toggle_action.trigger()
    assert not large.minimap.isVisible()
    large.minimap.toggle_action.trigger()
    assert large.minimap.isVisible()


def test_the_overview_follows_edits_to_the_network(qtbot):
    document, view = open_large(qtbot)
    before = view.minimap.to_minimap(view.minimap.network_rect())
    document.add_node("conv2d", (0, -3000))  # far above everything
    qtbot.waitUntil(lambda: view.minimap._source.contains(QPointF(0, -3000)), timeout=3000)
    assert view.minimap.to_minimap(view.minimap.network_rect()) != before


def test_the_picture_lies_where_the_outline_and_clicks_say(qtbot):
    _, view = open_large(qtbot)  # VGG-16: one long row, far wider than tall
    minimap = view.minimap
    image = minimap.grab().toImage()
    background = view.canvas_scene.canvas_style.colours.canvas
    items = view.canvas_scene.node_items.values()
    card = max((item.sceneBoundingRect() for item in items), key=lambda rect: rect.right())  # far from the view
    assert not minimap.visible_rect().intersects(card)  # so the outline is not what the pixels show
    spot = minimap.to_minimap(card).center().toPoint()

    def differs(x: int, y: int) -> bool:
        colour = image.pixelColor(x, y)
        return abs(colour.lightness() - background.lightness()) > 20 or colour.hue() != background.hue()

    assert any(differs(spot.x() + dx, spot.y() + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1))
    empty = QPoint(spot.x(), 4 if spot.y() > minimap.height() // 2 else minimap.height() - 5)
    assert not differs(empty.x(), empty.y())  # and nothing where the outline would say is empty


def test_turning_it_off_in_the_view_menu_is_remembered(make_window):
    window = make_window()
    action = window.canvas.minimap.toggle_action
    assert any(action in menu.actions() for menu in window.menuBar().findChildren(QMenu))  # View ▸ Show Minimap
    action.trigger()
    assert not action.isChecked()
    assert not make_window().canvas.minimap.toggle_action.isChecked()
