"""Stop and pause requests, honoured by the training loop between batches.

The app's GUI thread sets them; the worker thread running ``Trainer.fit``
checks them after every optimisation step. Both are built on
``threading`` primitives, so a paused run sleeps in ``Condition.wait``
(no busy-waiting) until it is resumed or stopped.
"""
from __future__ import annotations

import threading
from collections.abc import Callable


class StopToken:
    """Ask a run to end: it finishes the current batch, keeps its last checkpoint and returns."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._wakers: list[Callable[[], None]] = []

    def stop(self) -> None:
        self._event.set()
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    @property
    def stopped(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until stopped (or ``timeout`` seconds); returns whether it was stopped."""
        return self._event.wait(timeout)

    def _add_waker(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.append(wake)

    def _remove_waker(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._wakers.remove(wake)


class PauseToken:
    """Hold a run between batches until ``resume()`` (or a stop) is requested."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._paused = False

    def pause(self) -> None:
        with self._condition:
            self._paused = True

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._condition.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def wait_while_paused(self, stop: StopToken | None = None) -> bool:
        """Blocks while paused, until resumed or ``stop`` fires; returns whether it waited at all."""
        if not self._paused:  # the common case costs one attribute read
            return False

        def wake() -> None:
            with self._condition:
                self._condition.notify_all()

        if stop is not None:
            stop._add_waker(wake)
        try:
            with self._condition:
                while self._paused and not (stop is not None and stop.stopped):
                    self._condition.wait()
        finally:
            if stop is not None:
                stop._remove_waker(wake)
        return True
