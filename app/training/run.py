"""One training run's thread: start it, pause, resume, stop it and wait for it cleanly.

``TrainingRun`` lives on the GUI thread and owns a ``QThread`` with a
``TrainingWorker`` moved onto it. Receivers of the worker's signals must be
QObjects living on the GUI thread (bound methods of them), so that Qt
queues the calls there; a plain lambda would run on the worker thread.
"""
from __future__ import annotations

import tempfile
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, QThread, Signal

if TYPE_CHECKING:
    from .worker import RunRequest

#: Every run still referenced, so tests can check that none is left running.
_RUNS: weakref.WeakSet[TrainingRun] = weakref.WeakSet()


def default_runs_root() -> Path:
    """Where runs keep their checkpoints: the per-user data folder, else the temp folder."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppLocalDataLocation)
    return Path(location) / "runs" if location else Path(tempfile.gettempdir()) / "convcanvas-runs"


def running_runs() -> list[TrainingRun]:
    """Runs whose thread is still running (tests fail when one outlives them)."""
    return [run for run in list(_RUNS) if run.running]


class TrainingRun(QObject):
    ended = Signal()  # the thread has finished (after the worker's finished/failed)

    def __init__(self, request: RunRequest, parent: QObject | None = None) -> None:
        from .worker import TrainingWorker  # imports torch: never on the way to the first window

        super().__init__(parent)
        self.request = request
        self.thread = QThread()
        self.thread.setObjectName("ConvCanvas training")
        self.worker = TrainingWorker(request)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.thread.finished.connect(self._on_thread_finished)
        _RUNS.add(self)

    def start(self) -> None:
        self.thread.start()

    @property
    def running(self) -> bool:
        return self.thread.isRunning()

    @property
    def paused(self) -> bool:
        return self.worker.paused

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self) -> None:
        """Asks the run to end after the current batch (a paused run wakes up to end)."""
        self.worker.stop()

    def stop_and_wait(self, timeout_ms: int = 10_000) -> bool:
        """Stops and blocks until the thread has ended; False if it is still running after ``timeout_ms``."""
        if not self.thread.isRunning():
            return True
        self.stop()
        self.thread.quit()  # in case the worker returned but the thread still sits in its event loop
        return self.thread.wait(timeout_ms)

    def _on_thread_finished(self) -> None:
        self.ended.emit()
