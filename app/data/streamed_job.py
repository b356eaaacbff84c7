"""A long read over a dataset off the GUI thread, with a progress bar's numbers and a Cancel that works."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.data.stream_stats import Cancelled

from ..training.background import BackgroundJobs


class StreamedJob(QObject):
    """``start(work)`` runs ``work(progress, cancelled)`` on ``jobs``; ``progressed(done, total)``,
    then exactly one of ``finished(result)``, ``cancelled()`` or ``failed(message)``."""

    progressed = Signal(int, int)
    finished = Signal(object)
    cancelled = Signal()
    failed = Signal(str)

    def __init__(self, jobs: BackgroundJobs, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self.running = False
        self._stop = threading.Event()

    def start(self, work: Callable[[Callable[[int, int], None], Callable[[], bool]], Any]) -> None:
        self._stop = stop = threading.Event()
        self.running = True

        def run() -> Any:
            return work(self.progressed.emit, stop.is_set)  # a signal emitted off-thread is queued to the GUI

        self.jobs.run(run, self._done, self._error)

    def cancel(self) -> None:
        self._stop.set()

    @property
    def cancel_requested(self) -> bool:
        return self._stop.is_set()

    def _done(self, result: Any) -> None:
        self.running = False
        self.finished.emit(result)

    def _error(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, Cancelled):
            self.cancelled.emit()
        else:
            self.failed.emit(str(error))
