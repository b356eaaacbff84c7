"""The leftover check every app test runs (conftest): it names a running timer or a live window, and
only those."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMenu, QWidget

from .qt_leftovers import QtLeftovers


class Owner(QObject):
    changed = Signal(list)


def test_a_timer_left_running_is_named_with_where_it_started_and_its_owner_then_stopped(qapp):
    owner = Owner()
    owner.setObjectName("poller")
    leftovers = QtLeftovers()
    timer = QTimer(owner)
    timer.start(10_000)
    left = leftovers.finish()
    assert len(left) == 1 and "test_qt_leftovers.py:" in left[0] and "Owner 'poller'" in left[0], left
    assert not timer.isActive()


def test_timers_stopped_or_deleted_with_their_owner_are_not_leftovers(qapp):
    leftovers = QtLeftovers()
    stopped = QTimer()
    stopped.start(10_000)
    stopped.stop()
    owner = Owner()
    QTimer(owner).start(10_000)
    owner.deleteLater()
    single = QTimer()
    single.setSingleShot(True)
    single.start(0)
    qapp.processEvents()  # it fired: done
    assert leftovers.finish() == []


def test_a_timer_started_by_a_signal_with_arguments_starts(qapp):
    """Qt connects ``changed.connect(timer.start)`` to the argument-less overload; the wrapper too."""
    owner = Owner()
    timer = QTimer(owner)
    timer.setInterval(10_000)
    owner.changed.connect(timer.start)
    leftovers = QtLeftovers()
    owner.changed.emit([1, 2])
    assert timer.isActive()
    assert len(leftovers.finish()) == 1


def test_a_window_left_alive_is_named_and_deleted_but_older_or_closed_windows_are_not(qtbot):
    older = QLabel("from before the test")
    qtbot.addWidget(older)
    older.show()
    leftovers = QtLeftovers()
    left_open = QLabel("left open")
    left_open.setObjectName("stray")
    left_open.setWindowTitle("Stray")
    left_open.show()
    closed = QWidget()
    closed.show()
    closed.close()
    closed.deleteLater()
    cycle = QWidget()
    cycle.me = cycle  # only a reference cycle holds it: the collection inside finish() frees it
    del cycle
    left = leftovers.finish()
    assert left == ["top-level window QLabel (object name 'stray', title 'Stray', visible)"], left


def test_pyqtgraphs_own_hidden_plot_menus_are_allowed_but_not_a_menu_of_ours(qapp):
    leftovers = QtLeftovers()
    theirs = QMenu("Plot Options")  # as pyqtgraph's PlotItem makes it: parentless, hidden
    ours = QMenu("Layers")
    left = leftovers.finish()
    assert left == ["top-level window QMenu (title 'Layers', hidden)"], left
    assert theirs.title() and not shiboken6.isValid(ours)
