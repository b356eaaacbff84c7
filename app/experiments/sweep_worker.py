"""Runs an engine ``Sweep`` on a worker thread; the dialog hears each finished trial through a signal."""
from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal, Slot


class SweepWorker(QObject):
    trial_done = Signal(object)
    """A finished trial's ``TrialRow`` (queued to the GUI thread)."""
    finished = Signal(object)
    """The ``SweepSummary`` once the sweep ends (budget spent or stopped)."""
    failed = Signal(str)
    """A one-line reason the sweep could not run (its storage, its parameters)."""

    def __init__(self, make_sweep, trials: int, timeout: float | None, threads: int = 0) -> None:
        """``make_sweep(on_trial)`` builds the engine ``Sweep`` on the worker thread; ``threads``: torch's
        intra-op threads for the trials (app.training.threads: one core is left to the window)."""
        super().__init__()
        self.make_sweep, self.trials, self.timeout, self.threads = make_sweep, trials, timeout, threads
        self.sweep = None
        self._stop_requested = False

    @Slot()
    def run(self) -> None:
        import torch

        # As a training run does: torch keeps the count per thread, so it is set here and put back after.
        previous = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self._run()
        finally:
            torch.set_num_threads(previous)

    def _run(self) -> None:
        from engine.experiments.sweeps import SweepError

        try:
            self.sweep = self.make_sweep(self.trial_done.emit)
            if self._stop_requested:
                self.sweep.stop()
            summary = self.sweep.run(trials=self.trials, timeout=self.timeout)
        except SweepError as error:
            self.failed.emit(str(error))
            return
        except Exception as error:  # noqa: BLE001 - the window says what happened rather than vanishing
            self.failed.emit(f"the sweep stopped: {type(error).__name__}: {error}")
            return
        self.finished.emit(summary)

    def stop(self) -> None:
        """Thread-safe: the running trial stops after its current batch, then the sweep ends."""
        self._stop_requested = True
        if self.sweep is not None:
            self.sweep.stop()


def start_worker(worker: SweepWorker, parent: QObject) -> QThread:
    thread = QThread(parent)
    thread.setObjectName("sweepThread")
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.start()
    return thread
