"""Dock widgets that stay usable on a small screen.

A panel's content (a plot, a grid of feature maps, a form) may want more room
than a 1280×720 laptop leaves it. Inside a scroll area its dock can be made
small and the content scrolls instead of pushing the window past the screen.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable
                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                 | QDockWidget.DockWidgetFeature.DockWidgetClosable)


class FittingScrollArea(QScrollArea):
    """Gives its widget the whole viewport whenever that is at least the widget's minimum, and
    scrolls only below it.

    (``setWidgetResizable`` also holds the widget to its size hint where its size policy says so,
    and so scrolled plots and grids that would have fitted.)
    """

    def __init__(self, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidget(widget)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_widget()

    def event(self, event: QEvent) -> bool:
        # The widget's content changed its needs (a table filled, a caption grew): fit it again.
        if event.type() == QEvent.Type.LayoutRequest:
            self.fit_widget()
        return super().event(event)

    def fit_widget(self) -> None:
        widget, room = self.widget(), self.maximumViewportSize()
        least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        # Scrolling one way takes a scroll bar's breadth from the other: without this, a panel a few
        # pixels too short also scrolled sideways and cut its right edge (the confusion table's columns).
        if least.height() > room.height():
            room.setWidth(room.width() - self.verticalScrollBar().sizeHint().width())
        if least.width() > room.width():
            room.setHeight(room.height() - self.horizontalScrollBar().sizeHint().height())
        widget.resize(least.expandedTo(room))


def scrolling(widget: QWidget, parent: QWidget | None = None) -> QWidget:
    """``widget`` inside a frameless scroll area, unless it scrolls by itself already."""
    if isinstance(widget, QAbstractScrollArea):
        return widget
    scroll = FittingScrollArea(widget, parent)
    scroll.setObjectName(f"{widget.objectName() or type(widget).__name__}Scroll")
    return scroll


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget,
             area: Qt.DockWidgetArea) -> QDockWidget:
    """A movable, floatable, closable dock named ``name`` (for saveState) holding ``widget``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    # The scroll area is the dock's child before the view moves in: under the application's style sheet
    # each move of a built view to another parent restyles all of it (two moves cost ~0.2 s at start-up).
    dock.setWidget(scrolling(widget, dock))
    dock.setFeatures(DOCK_FEATURES)
    window.addDockWidget(area, dock)
    return dock
