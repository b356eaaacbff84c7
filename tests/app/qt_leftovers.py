"""What a Qt test leaves behind: timers still running, top-level windows still alive.

napari fails tests that leave QTimers running (``dangling_qtimers``) or
widgets alive; ConvCanvas does the same (tests/app/conftest.py), because a
stray timer fires into the tests after it and a stray window keeps its
timers, models and memory for the rest of the session.
"""
from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication, QMenu, QWidget

REPO_ROOT = Path(__file__).resolve().parents[2]


class QtLeftovers:
    """From construction to ``finish()``: the QTimers started and the top-level windows made.

    Timers are tracked by wrapping ``QTimer.start`` meanwhile (so what a module-scoped fixture
    started before belongs to it, not to the test); windows are those not alive at construction.
    ``finish()`` restores ``QTimer.start``, runs deferred deletes and, only when something looks
    left, a garbage collection (pyqtgraph's menus sit in reference cycles and the app collects
    on a timer), then names what is still left, stops and deletes it, so one leak fails one test.
    """

    def __init__(self) -> None:
        self._started: weakref.WeakKeyDictionary[QTimer, tuple[str, int]] = weakref.WeakKeyDictionary()
        self._alive_before = QApplication.topLevelWidgets()  # held, so their ids stay theirs
        self._ids_before = {id(widget) for widget in self._alive_before}
        self._original_start = original_start = QTimer.start
        started = self._started

        def start(timer: QTimer, *args) -> None:
            started[timer] = _where_called()
            # Connected as a slot (``changed.connect(timer.start)``) the signal's arguments come
            # along; Qt would pick the argument-less overload, so this does the same.
            if args and isinstance(args[0], int):
                original_start(timer, args[0])
            else:
                original_start(timer)

        QTimer.start = start

    def finish(self) -> list[str]:
        QTimer.start = self._original_start
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        if self._running_timers() or self._new_windows():  # what only cycles hold goes with a collection
            gc.collect()
            QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        timers, windows = self._running_timers(), self._new_windows()
        left = [f"QTimer started at {_place(where)}, owned by {_owner(timer)}, still running"
                for timer, where in timers]
        left += [f"top-level window {_describe(widget)}" for widget in windows]
        for timer, _ in timers:
            timer.stop()
        for widget in windows:
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self._alive_before = []
        return left

    def _running_timers(self) -> list[tuple[QTimer, tuple[str, int]]]:
        return [(timer, where) for timer, where in list(self._started.items())
                if shiboken6.isValid(timer) and timer.isActive()]

    def _new_windows(self) -> list[QWidget]:
        """New parentless windows (a popup with a parent, e.g. a combo box's list, goes with it)."""
        return [widget for widget in QApplication.topLevelWidgets()
                if id(widget) not in self._ids_before and shiboken6.isValid(widget)
                and widget.parent() is None and not _pyqtgraph_plot_menu(widget)]


# Allowed, being pyqtgraph's own: PlotItem and ViewBox build their right-click menus without a
# parent, and once Qt holds them (addMenu) nothing deletes them when the plot goes. They stay
# hidden and are never shown again; the plot's owner (ours) is gone, which is what the check is for.
PYQTGRAPH_PLOT_MENUS = frozenset({"Plot Options", "Transforms", "Downsample", "Average", "Alpha", "Grid", "Points",
                                  "X axis", "Y axis", "Mouse Mode"})


def _pyqtgraph_plot_menu(widget: QWidget) -> bool:
    from pyqtgraph.graphicsItems.ViewBox.ViewBoxMenu import ViewBoxMenu

    return not widget.isVisible() and (
        isinstance(widget, ViewBoxMenu) or (isinstance(widget, QMenu) and widget.title() in PYQTGRAPH_PLOT_MENUS))


def _where_called() -> tuple[str, int]:
    """(file, line) of the innermost frame outside this module: where the timer was started."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)


def _place(where: tuple[str, int]) -> str:
    path = Path(where[0]).resolve()
    return f"{path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}:{where[1]}"


def _owner(timer: QTimer) -> str:
    chain, parent = [], timer.parent()
    while parent is not None:
        chain.append(type(parent).__name__ + (f" {parent.objectName()!r}" if parent.objectName() else ""))
        parent = parent.parent()
    return " in ".join(chain) if chain else "nothing (no parent)"


def _describe(widget: QWidget) -> str:
    details = [f"object name {widget.objectName()!r}" if widget.objectName() else "",
               f"title {_title(widget)!r}" if _title(widget) else "",
               "visible" if widget.isVisible() else "hidden"]
    return f"{type(widget).__name__} ({', '.join(part for part in details if part)})"


def _title(widget: QWidget) -> str:
    return widget.title() if isinstance(widget, QMenu) else widget.windowTitle()
