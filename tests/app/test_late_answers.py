"""Background answers that come after their window has gone are dropped, through real Qt events.

A look-up, prediction or probe answers on the GUI thread through a queued signal. Waiting for the
job (``jobs.wait``) before closing left that answer queued, and one delivered to a window being torn
down failed the next test in Qt's event loop ("Slot 'TrainingUi::' not found"). Closing the window
(``TrainingUi.shutdown``) or deleting it (``BackgroundJobs.close`` on its owner's ``destroyed``) now
drops them.
"""
from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QEvent, QObject
from PySide6.QtWidgets import QMainWindow, QWidget

from app.document import Document
from app.training import install_training_ui
from app.training.background import BackgroundJobs
from engine.config import TrainingConfig
from engine.project import Project

from .test_training import tiny_graph


def held_job(jobs: BackgroundJobs, heard: list) -> threading.Event:
    """Starts a job that ends when the returned event is set; its answer (or error) goes to ``heard``."""
    release = threading.Event()
    jobs.run(lambda: release.wait(30) and "answer", heard.append, heard.append, uses_torch=False)
    return release


def bare_training_window(qtbot, tmp_path):
    """A bare QMainWindow with the training docks, shown: no MainWindow.closeEvent calls ``shutdown``."""
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    project = Project(tiny_graph(), "tiny", training=TrainingConfig(dataset="digits", epochs=1))
    ui = install_training_ui(window, Document(project, parent=window), None, runs_root=tmp_path / "runs")
    window.show()
    qtbot.waitExposed(window)
    return window, ui


def test_closing_the_main_window_drops_the_answers_still_queued(make_window, qtbot):
    window = make_window()
    heard: list = []
    release = held_job(window.training_ui.jobs, heard)
    release.set()
    assert window.training_ui.jobs.wait(10_000)  # it ended (no event is processed): its answer sits in the queue
    window.close()
    assert not window.isVisible()
    qtbot.wait(100)  # the event loop runs: the queued answer is dropped, not handed to the closed window
    assert heard == []
    window.training_ui.jobs.run(lambda: "late", heard.append, heard.append, uses_torch=False)
    qtbot.wait(100)
    assert heard == []  # a closed window starts no more jobs


def test_a_window_deleted_while_a_look_up_runs_never_hears_its_answer(qtbot, tmp_path):
    window, ui = bare_training_window(qtbot, tmp_path)
    heard: list = []
    release = held_job(ui.jobs, heard)
    # The job ends while the window is being deleted: the pool's destruction waits for it.
    threading.Timer(0.3, release.set).start()
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    qtbot.wait(100)  # anything queued meanwhile is delivered now (to nothing)
    assert heard == []


def test_closed_jobs_never_start_what_was_waiting_and_drop_what_was_running(qtbot):
    owner = QObject()
    jobs = BackgroundJobs(owner)  # one thread: the second job waits for the first
    heard: list = []
    release = held_job(jobs, heard)
    ran = threading.Event()
    jobs.run(ran.set, heard.append, heard.append, uses_torch=False)
    jobs.close()
    release.set()
    assert jobs.wait(10_000)
    qtbot.wait(100)
    assert heard == [] and not ran.is_set() and not jobs.busy


def test_jobs_close_when_their_owner_is_destroyed(qtbot):
    owner = QObject()
    jobs = BackgroundJobs(owner)
    heard: list = []
    release = held_job(jobs, heard)
    threading.Timer(0.3, release.set).start()
    owner.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert jobs.closed  # closed as its owner went, before the pool's destruction waited for the job
    qtbot.wait(100)
    assert heard == []


def test_a_window_the_garbage_collector_empties_before_deleting_it_hides_its_docks_quietly(qtbot, tmp_path):
    """The collector clears a cycle's attributes before Qt deletes the window; deleting it hides the
    docks, and the Gradients dock's visibility signal reached a TrainingUi with no ``run`` (seen in CI)."""
    window, ui = bare_training_window(qtbot, tmp_path)
    ui.dock("gradientsDock").raise_()
    qtbot.waitUntil(ui.dock("gradientsDock").isVisible)
    ui.jobs.close()
    vars(ui).clear()  # what the collector's clearing of the cycle leaves
    window.close()  # hides the docks: their visibility signals still reach the emptied object
    assert not window.isVisible()
