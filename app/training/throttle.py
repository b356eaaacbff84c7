"""Rate limits for the GUI side: bursts of requests become at most one call per interval."""
from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Calls ``callback`` at most once per ``interval_ms``, and always after the last request.

    The first request of a quiet period runs at once (no added latency); requests
    arriving during the cool-down collapse into one trailing call when it ends.
    Lives on the GUI thread (it uses a QTimer).
    """

    def __init__(self, interval_ms: int, callback: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._callback = callback
        self._pending = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_cooled_down)

    def request(self) -> None:
        if self._timer.isActive():
            self._pending = True
            return
        self._fire()

    def flush(self) -> None:
        """Runs a pending call now (e.g. when a run ends, so the last values are shown)."""
        if self._pending:
            self._timer.stop()
            self._fire()

    def _fire(self) -> None:
        self._pending = False
        self._timer.start(self.interval_ms)
        self._callback()

    def _on_cooled_down(self) -> None:
        if self._pending:
            self._fire()


class IntervalGate:
    """Thread-agnostic "has ``interval`` seconds passed since the last time I said yes?"."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._last = float("-inf")

    def ready(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        if now - self._last >= self.interval_s:
            self._last = now
            return True
        return False
