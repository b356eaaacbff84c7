"""Short jobs off the GUI thread (exports, predictions, folder scans), with the result back on it.

``BackgroundJobs`` owns a private QThreadPool so that whoever owns it can
wait for every job to end (``wait``) before the application quits: no job
is left running when its widgets are gone. ``close`` (its owner's shutdown,
or its owner being destroyed) drops every answer still to come: waiting for
the jobs leaves their answers queued in the event loop, and one delivered
to a window being torn down failed in Qt's event loop ("Slot 'TrainingUi::'
not found").
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from .warm_up import wait_for_torch_warm_up


class _Relay(QObject):
    """Lives on the GUI thread; signals emitted from the pool thread are queued to it."""

    finished = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay, uses_torch: bool) -> None:
        super().__init__()
        self.work, self.relay, self.uses_torch = work, relay, uses_torch

    @Slot()
    def run(self) -> None:
        try:
            if self.uses_torch:
                wait_for_torch_warm_up()  # never beside the warm-up's imports of torch internals
            result = self.work()
        except Exception as error:  # noqa: BLE001 - every failure goes back to the GUI as a message
            self.relay.failed.emit(error)
        else:
            self.relay.finished.emit(result)


class _Listening:
    """Whether answers are still wanted. A plain Python object: the owner's ``destroyed`` switches it off
    without calling into a QObject being torn down (a slot of the jobs' own crashed there, their Python
    side already gone)."""

    def __init__(self) -> None:
        self.on = True

    def stop(self, *_destroyed) -> None:
        self.on = False


class BackgroundJobs(QObject):
    def __init__(self, parent: QObject | None = None, max_threads: int = 1) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._relays: set[_Relay] = set()
        self._listening = _Listening()
        if parent is not None:
            # Before the owner's children go (``destroyed`` comes first): a job still running then ends
            # during the pool's destruction, and its answer must not reach what is being deleted.
            parent.destroyed.connect(self._listening.stop)

    @property
    def closed(self) -> bool:
        return not self._listening.on

    def run(self, work: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None], uses_torch: bool = True) -> None:
        """Runs ``work()`` on a pool thread; ``on_done(result)`` or ``on_error(exception)`` on this thread.
        Work that ``uses_torch`` starts once torch's warm-up imports are done (``warm_up``); pass False
        only for work that never touches torch (reading file names and headers)."""
        if self.closed:
            return  # the owner is shutting down: nothing would take the answer
        relay = _Relay(self)
        self._relays.add(relay)
        listening, relays = self._listening, self._relays  # (not ``self``: it may be gone when the answer comes)

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            if not listening.on:
                return  # queued before ``close`` disconnected the relay, or its owner went: nobody listens
            relays.discard(relay)
            relay.deleteLater()
            callback(value)

        relay.finished.connect(lambda result: finish(on_done, result))
        relay.failed.connect(lambda error: finish(on_error, error))
        job = _Job(work, relay, uses_torch)
        self.pool.start(job)

    @Slot()
    def close(self) -> None:
        """Drops every answer still to come: jobs not yet started never run, running ones end unheard
        (their relays are disconnected), answers already queued are ignored. Later ``run`` calls do nothing."""
        if self.closed:
            return
        self._listening.stop()
        self.pool.clear()
        for relay in self._relays:
            relay.finished.disconnect()
            relay.failed.disconnect()
        self._relays.clear()

    @property
    def busy(self) -> bool:
        return bool(self._relays)

    def wait(self, timeout_ms: int = -1) -> bool:
        """Blocks until every job has ended; returns False on timeout."""
        return self.pool.waitForDone(timeout_ms)
