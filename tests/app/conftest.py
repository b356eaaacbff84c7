"""Shared fixtures for the desktop app's tests.

Nothing here touches the user's real settings, recovery files, runs or
block library: QStandardPaths is in test mode, and windows get a QSettings
file, a recovery folder, a runs folder and a library folder under
``tmp_path``. Modal dialogs are answered like a user would, by ``dialogs``
(see ``DialogAnswerer``).
"""
from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget

from app.qt_workarounds import GuiThreadGarbageCollector

from .qt_leftovers import QtLeftovers

QStandardPaths.setTestModeEnabled(True)


@dataclass
class SeenDialog:
    name: str
    title: str
    text: str


class DialogAnswerer:
    """Answers modal dialogs as they appear, in order, like a user would.

    ``expect(handler)`` queues a handler that gets the dialog widget; a
    dialog with no handler queued is rejected (and still recorded), so a
    test can never hang on an unexpected question. ``seen`` records every
    dialog: object name, window title and text.
    """

    def __init__(self) -> None:
        self.seen: list[SeenDialog] = []
        self._handlers: list[Callable[[QWidget], None]] = []
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._poll)
        self._timer.start()

    def expect(self, handler: Callable[[QWidget], None]) -> None:
        self._handlers.append(handler)

    def click(self, button_name: str) -> None:
        """Queues a click on the next dialog's button with this object name (e.g. ``discard``)."""
        self.expect(lambda dialog: click_button(dialog, button_name))

    def _poll(self) -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            return
        text = dialog.text() if isinstance(dialog, QMessageBox) else ""
        self.seen.append(SeenDialog(dialog.objectName(), dialog.windowTitle(), text))
        if self._handlers:
            self._handlers.pop(0)(dialog)
        else:
            dialog.reject()

    def stop(self) -> None:
        self._timer.stop()


def click_button(dialog: QWidget, name: str) -> None:
    button = dialog.findChild(QAbstractButton, name)
    assert button is not None, f"{dialog.objectName()} has no button {name!r}"
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)


@pytest.fixture(scope="module", autouse=True)
def garbage_collected_on_the_gui_thread(qapp):
    """As in the app: worker threads (training, background jobs) must never run the collector."""
    collector = GuiThreadGarbageCollector()
    yield
    collector.stop()


@pytest.fixture
def dialogs(qapp):
    answerer = DialogAnswerer()
    yield answerer
    answerer.stop()


@pytest.fixture
def app_settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def restore_app_look(qapp):
    """Undoes the theme a window applies to the whole application."""
    palette, sheet = QPalette(qapp.palette()), qapp.styleSheet()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.fixture
def make_window(qtbot, tmp_path, app_settings, restore_app_look):
    """Creates main windows sharing one temp QSettings and recovery folder.

    ``start=True`` (the default) shows the window and runs its start-up
    (recovery offer, then the start page). Unless ``start_page=True``, the
    start page is answered as most tests want it, by a click: LeNet-5 in the
    test's first window, a blank network in later ones. Windows left open
    are closed and deleted at teardown, without questions.
    """
    from app.main_window import MainWindow

    windows: list[MainWindow] = []

    def make(start: bool = True, autosave_ms: int = 50, start_page: bool = False,
             size: tuple[int, int] | None = (1280, 800)) -> MainWindow:
        window = MainWindow(settings=app_settings, recovery_dir=tmp_path / "recovery",
                            runs_root=tmp_path / "runs", autosave_ms=autosave_ms,
                            library_dir=tmp_path / "blocks")
        windows.append(window)
        if size is not None:  # None: where the window places itself
            window.resize(*size)
        if start:
            window.show()
            window.start()
            qtbot.waitExposed(window)
            if window.start_page_shown and not start_page:
                page = window.start_page
                button = page.preset_buttons["lenet5"] if len(windows) == 1 else page.blank_button
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        return window

    yield make
    for window in windows:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # Collect the windows' Python-side cycles (pyqtgraph menus) now, on this thread: left to
    # chance, the collector may run in a worker thread and destroy widgets there (a crash).
    gc.collect()


@pytest.fixture
def window(make_window):
    """A started main window, as on first launch: LeNet-5."""
    return make_window()


@pytest.fixture(scope="module")
def shared_window(qapp, tmp_path_factory):
    """One started main window with LeNet-5 for a module's tests that only LOOK at it (menus,
    shortcuts, actions): making a window is most of such a test's time. A test that edits,
    clicks or focuses anything takes ``window`` (a fresh one) instead."""
    from app.main_window import MainWindow
    from app.presets_menu import presets_folder

    folder = tmp_path_factory.mktemp("shared_window")
    palette, sheet = QPalette(qapp.palette()), qapp.styleSheet()
    window = MainWindow(settings=QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat),
                        recovery_dir=folder / "recovery", runs_root=folder / "runs", library_dir=folder / "blocks")
    window.resize(1280, 800)
    window.show()
    window.start(str(presets_folder() / "lenet5.cnn.json"))
    QTest.qWaitForWindowExposed(window)
    yield window
    window.training_ui.stop_and_wait()
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()  # (on this thread: see make_window)
    qapp.setStyleSheet(sheet)
    qapp.setPalette(palette)


@pytest.fixture(autouse=True)
def no_training_thread_left_running(qapp):
    """A test that leaves a training run's thread going fails (and the thread is stopped), as napari
    fails tests that leave threads behind: a stray run would slow and confuse every later test."""
    yield
    from app.training.run import running_runs  # here: conftest itself stays free of torch

    left = running_runs()
    for run in left:
        run.stop_and_wait(10_000)
    assert not left, f"{len(left)} training thread(s) were left running by the test"



CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def no_timer_or_window_left_behind(qapp, request):
    """A test that leaves a QTimer running or a top-level window alive fails, naming them (see
    ``QtLeftovers``), as napari's ``dangling_qtimers`` and leaked-widget checks do: a stray timer
    fires into later tests, a stray window keeps its timers, models and memory for the session.
    A test that failed already is only cleaned up: its traceback holds its windows."""
    leftovers = QtLeftovers()
    yield
    # pytest keeps the test's arguments (a ``window``…) until after teardown: drop them now (every
    # other fixture of the test is torn down), so what only they hold goes.
    request.node.funcargs.clear()
    left = leftovers.finish()
    assert not left or request.node.stash.get(CALL_FAILED, False), (
        "the test left Qt objects behind (stop the timers; close and delete the windows, "
        "e.g. by qtbot.addWidget or make_window):\n  " + "\n  ".join(left))
