"""``after_first_paint``: start-up work waits for the window's first paint, once, on the GUI thread."""
from __future__ import annotations

import threading

from PySide6.QtWidgets import QLabel, QMainWindow

from app.shell.first_paint import after_first_paint


def test_a_shown_window_calls_back_after_it_has_painted_and_only_once(qtbot):
    window = QMainWindow()
    label = QLabel("hello")
    window.setCentralWidget(label)
    qtbot.addWidget(window)
    painted, calls = [], []
    label.paintEvent = lambda event, paint=label.paintEvent: (painted.append(True), paint(event))[1]
    window.show()
    after_first_paint(window, lambda: calls.append((bool(painted), threading.current_thread().name)))
    assert calls == []  # not before the event loop has painted the window
    qtbot.waitUntil(lambda: bool(calls))
    assert calls == [(True, threading.main_thread().name)]
    window.update()
    label.repaint()
    qtbot.wait(50)
    assert len(calls) == 1


def test_a_window_that_is_not_shown_calls_back_at_once(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    calls = []
    after_first_paint(window, lambda: calls.append(True))
    assert calls == [True]
