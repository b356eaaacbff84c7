"""``after_first_paint``: run something once a window has painted for the first time.

Start-up work that holds the GIL (PyTorch's import, seconds long) slows the window's first paint if
it starts before it; started just after, it runs behind a window the user already sees.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.callback = window, callback

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) and watched.window() is self.window:
            QApplication.instance().removeEventFilter(self)
            QTimer.singleShot(0, self.callback)  # after this paint and the rest of the frame's
            self.deleteLater()
        return False


def after_first_paint(window: QWidget, callback: Callable[[], None]) -> None:
    """Calls ``callback`` on the GUI thread once ``window`` has painted; at once if it is not shown."""
    if not window.isVisible():
        callback()
        return
    QApplication.instance().installEventFilter(_FirstPaint(window, callback))
