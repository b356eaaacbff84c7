"""Dock widgets that stay usable on a small screen.

A panel's content (a plot, a grid of feature maps, a form) may want more room
than a 1280×720 laptop leaves it. Inside a scroll area its dock can be made
small and the content scrolls instead of pushing the window past the screen.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QDockWidget, QFrame, QMainWindow, QScrollArea, QWidget

DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetMovable
                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                 | QDockWidget.DockWidgetFeature.DockWidgetClosable)


def scrolling(widget: QWidget) -> QWidget:
    """``widget`` inside a frameless scroll area, unless it scrolls by itself already."""
    if isinstance(widget, QAbstractScrollArea):
        return widget
    scroll = QScrollArea()
    scroll.setObjectName(f"{widget.objectName() or type(widget).__name__}Scroll")
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setWidget(widget)
    return scroll


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget,
             area: Qt.DockWidgetArea) -> QDockWidget:
    """A movable, floatable, closable dock named ``name`` (for saveState) holding ``widget``."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(scrolling(widget))
    dock.setFeatures(DOCK_FEATURES)
    window.addDockWidget(area, dock)
    return dock
