"""A tiny publish/subscribe helper so that views can mirror the model.

The engine never imports Qt; the desktop app subscribes plain callables and
re-emits what it needs as Qt signals.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class EventHub(Generic[T]):
    """Calls every subscriber with each emitted event, in subscription order."""

    def __init__(self) -> None:
        self._subscribers: list[Callable[[T], None]] = []

    def subscribe(self, callback: Callable[[T], None]) -> Callable[[], None]:
        """Registers ``callback`` and returns a function that unsubscribes it."""
        self._subscribers.append(callback)
        return lambda: self.unsubscribe(callback)

    def unsubscribe(self, callback: Callable[[T], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def emit(self, event: T) -> None:
        # Copy: a subscriber may unsubscribe itself while being called.
        for callback in list(self._subscribers):
            callback(event)
