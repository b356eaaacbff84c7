"""Keys that move the focus between the main window's parts (View ▸ Go To).

Alt+1…5 go to the canvas, the block palette, the inspector, the training
panel and the network outline; the panel's dock is shown and brought to the front of its tab group
first, so the focus never lands on something hidden. (Ctrl+1 and Ctrl+2 are
the zoom keys, F5/F6 train and pause.) Escape in the inspector goes back to
the canvas. Focus that enters a dock in a tab behind another (Tab, an access
key) brings that tab to the front: the focus is never on something unseen.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QWidget

CANVAS_KEY, BLOCKS_KEY, INSPECTOR_KEY, TRAINING_KEY, OUTLINE_KEY = "Alt+1", "Alt+2", "Alt+3", "Alt+4", "Alt+5"


def first_focusable(container: QWidget) -> QWidget | None:
    """The first widget inside ``container`` that Tab would reach, or None."""
    if container.focusPolicy() & Qt.FocusPolicy.TabFocus and container.isVisible() and container.isEnabled():
        return container
    widget = container.nextInFocusChain()
    while widget is not container:
        if (container.isAncestorOf(widget) and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
                and widget.isVisible() and widget.isEnabled() and widget.focusProxy() is None):
            return widget
        widget = widget.nextInFocusChain()
    return None


def focus_dock(dock: QDockWidget, target: QWidget | None = None) -> bool:
    """Shows ``dock`` in front of its tab group and focuses ``target`` (or its first focusable widget)."""
    dock.show()
    dock.raise_()
    widget = target if target is not None else first_focusable(dock.widget())
    if widget is None:
        return False
    widget.setFocus(Qt.FocusReason.ShortcutFocusReason)
    return True


def dock_of(widget: QWidget) -> QDockWidget | None:
    while widget is not None and not isinstance(widget, QDockWidget):
        widget = widget.parentWidget()
    return widget


class PanelFocus(QObject):
    """The Go To actions of a main window, the inspector's Escape back to the canvas, and
    docks brought to the front when the focus enters them."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)  # (a child: the focus connection ends with the window)
        self.window = window
        training_dock = window.training_ui.dock("trainingDock")
        self.canvas_action = self._action("&Canvas", CANVAS_KEY, self.focus_canvas)
        self.blocks_action = self._action(
            "&Blocks", BLOCKS_KEY, lambda: focus_dock(window.palette_dock, window.palette_panel.tree))
        self.inspector_action = self._action("&Inspector", INSPECTOR_KEY, lambda: focus_dock(window.inspector_dock))
        self.training_action = self._action("&Training", TRAINING_KEY, lambda: focus_dock(training_dock))
        self.outline_action = self._action(
            "&Outline", OUTLINE_KEY, lambda: focus_dock(window.outline_dock, window.outline))
        self.actions = [self.canvas_action, self.blocks_action, self.inspector_action, self.training_action,
                        self.outline_action]
        window.inspector.escape_pressed.connect(self.focus_canvas)
        QApplication.instance().focusChanged.connect(self._bring_focus_to_front)

    def _action(self, text: str, keys: str, slot) -> QAction:
        action = QAction(text, self.window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(action)  # the keys work while the menu bar is hidden too
        return action

    def focus_canvas(self) -> None:
        """The canvas, or the start page while it stands in the canvas's place."""
        window = self.window
        central = window.central_stack.currentWidget()
        target = central if central is window.canvas else first_focusable(central)
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _bring_focus_to_front(self, _old: QWidget | None, new: QWidget | None) -> None:
        dock = dock_of(new)
        if dock is not None and dock.parentWidget() is self.window and self.window.tabifiedDockWidgets(dock):
            dock.raise_()  # (a no-op for the tab already in front)
