"""Where the main window goes: its saved place when that still fits the screen, else a size that does.

A window sized for a 1920×1080 monitor must not open 256 px off a 1366×768
laptop, with the Train button below the fold.
"""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QWidget

PREFERRED_SIZE = QSize(1480, 920)
# Room left for the title bar and borders the window manager adds (unknown before the window shows).
FRAME_ALLOWANCE = QSize(16, 48)


def default_geometry(available: QRect, preferred: QSize = PREFERRED_SIZE) -> QRect:
    """``preferred`` shrunk to what the screen leaves, centred on it."""
    room = QSize(max(1, available.width() - FRAME_ALLOWANCE.width()),
                 max(1, available.height() - FRAME_ALLOWANCE.height()))
    rect = QRect(0, 0, 0, 0)
    rect.setSize(preferred.boundedTo(room))
    rect.moveCenter(available.center())
    return rect


def screen_room(widget: QWidget) -> QRect:
    """The available geometry of the screen ``widget`` opens on (its parent's window's before it shows)."""
    anchor = widget.parentWidget().window() if widget.parentWidget() is not None else widget
    screen = anchor.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fit_to_screen(widget: QWidget, preferred: QSize) -> None:
    """Sizes a dialog or window to ``preferred`` logical pixels, shrunk to what its screen leaves:
    a dialog laid out for a 1920×1080 monitor keeps its buttons on a 1280×720 one (or at 2× on 2560×1440)."""
    widget.resize(default_geometry(screen_room(widget), preferred).size())


def fits(rect: QRect, available: QRect) -> bool:
    return available.contains(rect)


def place_window(window: QMainWindow, saved: object) -> bool:
    """Restores ``saved`` (from ``saveGeometry``) if it fits the screen it lands on, else places the
    window by ``default_geometry``; True if the saved geometry was used."""
    if isinstance(saved, QByteArray) and window.restoreGeometry(saved):
        screen = window.screen()
        if window.isMaximized() or window.isFullScreen() or fits(window.geometry(), screen.availableGeometry()):
            return True
    window.setGeometry(default_geometry(window.screen().availableGeometry()))
    return False
