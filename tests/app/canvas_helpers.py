"""Shared helpers for the canvas and document tests: small graphs and real input events.

Mouse gestures are sent to the view's viewport as real Qt events: presses and
releases through QTest, moves with the button held as QMouseEvents (QTest's
mouseMove cannot carry a held button), drops as QDragEnter/QDrop events
carrying real QMimeData.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from app.canvas import CanvasView
from app.clipboard import BLOCK_MIME
from app.document import Document
from engine.builders import GraphBuilder
from engine.project import Project

LEFT = Qt.MouseButton.LeftButton
NO_MODIFIER = Qt.KeyboardModifier.NoModifier


def lenet_project() -> Project:
    """LeNet-5-like chain, positioned in a row (ids equal names)."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=1, height=28, width=28)
    builder.add("conv2d", "conv1", out_channels=6, kernel_size=5, padding=2)
    builder.add("activation", "relu1")
    builder.add("maxpool2d", "pool1", kernel_size=2, stride=2)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc1", out_features=10)
    builder.add("output", "output")
    for index, node in enumerate(builder.graph.nodes.values()):
        node.ui.update(x=index * 260, y=0)
    return Project(builder.graph, name="LeNet")


def open_view(qtbot, project: Project | None = None, size=(1000, 600)) -> tuple[Document, CanvasView]:
    document = Document(project if project is not None else lenet_project())
    view = CanvasView(document)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return document, view


def view_point(view: CanvasView, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def output_port_point(view: CanvasView, node_id: str) -> QPoint:
    return view_point(view, view.canvas_scene.node_items[node_id].output.anchor())


def input_port_point(view: CanvasView, node_id: str, port: str = "in") -> QPoint:
    return view_point(view, view.canvas_scene.node_items[node_id].inputs[port].anchor())


def card_point(view: CanvasView, node_id: str) -> QPoint:
    """The middle of a card's header (away from its ports)."""
    item = view.canvas_scene.node_items[node_id]
    return view_point(view, item.mapToScene(QPointF(item.card_rect().width() / 2, 10)))


def press(view: CanvasView, pos: QPoint, modifiers=NO_MODIFIER) -> None:
    QTest.mousePress(view.viewport(), LEFT, modifiers, pos)


def move_held(view: CanvasView, pos: QPoint, button=LEFT) -> None:
    viewport = view.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(viewport.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, button, NO_MODIFIER)
    QApplication.sendEvent(viewport, event)


def release(view: CanvasView, pos: QPoint) -> None:
    QTest.mouseRelease(view.viewport(), LEFT, NO_MODIFIER, pos)


def drag(view: CanvasView, start: QPoint, end: QPoint, steps: int = 4) -> None:
    """Press at ``start``, move there in a few steps with the button held, release."""
    press(view, start)
    for step in range(1, steps + 1):
        move_held(view, start + (end - start) * step / steps)
    release(view, end)


def block_mime(type_id: str) -> QMimeData:
    mime = QMimeData()
    mime.setData(BLOCK_MIME, type_id.encode("utf-8"))
    return mime


def drop(view: CanvasView, mime: QMimeData, pos: QPoint) -> tuple[bool, bool]:
    """Drags ``mime`` over the viewport and drops it at ``pos``; returns (enter accepted, drop accepted)."""
    viewport = view.viewport()
    action = Qt.DropAction.CopyAction
    enter = QDragEnterEvent(QPointF(pos), action, mime, LEFT, NO_MODIFIER)
    QApplication.sendEvent(viewport, enter)
    if not enter.isAccepted():
        return False, False
    QApplication.sendEvent(viewport, QDragMoveEvent(QPointF(pos), action, mime, LEFT, NO_MODIFIER))
    dropped = QDropEvent(QPointF(pos), action, mime, LEFT, NO_MODIFIER)
    QApplication.sendEvent(viewport, dropped)
    return True, dropped.isAccepted()


def pick_from_context_menu(view, node_id: str, text: str) -> list[str]:
    """Right-clicks a card and picks ``text`` from its menu; returns the menu's item texts."""
    seen: list[str] = []

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        assert isinstance(menu, QMenu)
        seen.extend(action.text() for action in menu.actions())
        chosen = next(action for action in menu.actions() if action.text() == text)
        menu.close()
        chosen.trigger()

    QTimer.singleShot(50, pick)
    spot = view.mapFromScene(view.canvas_scene.node_items[node_id].sceneBoundingRect().center())
    QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Reason.Mouse, spot,
                                                             view.viewport().mapToGlobal(spot)))
    return seen
