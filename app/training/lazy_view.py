"""A dashboard built the first time it is needed: when Qt first paints its dock, or when its view is asked for.

A training window used to create all its views, some sixteen pyqtgraph plots, up front: 2-4 s of every
window's creation (issue 19), most of it for views a user rarely opens (Boxes, Embeddings and Masks outside
their task, Gradients, Clinical). Such a view waits in a ``LazyView``, a light widget in its dock. What a run
sends it meanwhile is kept (``apply``) and handed to the view, in order, once it is built.

Qt paints only what is on screen: a dock behind another tab, or hidden, is not painted (see on_screen.py), so
the first paint is the moment the user can see the view.
"""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMetaObject, QSize, Qt, Slot
from PySide6.QtWidgets import QVBoxLayout, QWidget

#: A call to make on the view, e.g. ``MaskView.clear`` or ``lambda view: view.show_iou(...)``.
ViewCall = Callable[[QWidget], object]


class LazyView(QWidget):
    """Holds ``make()``'s view once built (``view`` builds it); ``apply`` calls on it now or once built."""

    def __init__(self, make: Callable[[], QWidget], name: str, parent: QWidget | None = None, *,
                 size_hints: tuple[QSize, QSize] | None = None) -> None:
        """``size_hints``: the view's (size hint, minimum size hint), to stand in for it before it is built:
        where it shares a splitter, Qt shares the room out by them once, when the window is first shown."""
        super().__init__(parent)
        self._size_hints = size_hints
        self.setObjectName(name)
        self._make = make
        self._view: QWidget | None = None
        self._pending: list[tuple[str | None, ViewCall]] = []
        self._on_built: list[ViewCall] = []
        self._build_queued = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)  # the view fills its dock as if it sat there itself

    @property
    def is_built(self) -> bool:
        return self._view is not None

    @property
    def view(self) -> QWidget:
        """The view, built (and given what was kept for it) on first use."""
        if self._view is None:
            self._view = view = self._make()
            self.layout().addWidget(view)
            if self.isVisible():  # shown now, as the view it stands for would have been before what it is sent
                view.show()  # (Qt would show it only in a later turn of the event loop)
            for call in self._on_built:
                call(view)
            pending, self._pending = self._pending, []
            for _key, call in pending:
                call(view)
        return self._view

    def when_built(self, call: ViewCall) -> None:
        """``call(view)`` once the view exists (a signal connection): now if it does."""
        if self._view is not None:
            call(self._view)
        else:
            self._on_built.append(call)

    def apply(self, call: ViewCall, key: str | None = None, *, anywhere: bool = False) -> None:
        """``call(view)`` now if the view is built, else once it is. A ``key`` says that the call replaces
        the one kept just before it with the same key (``clear`` after ``clear``, one epoch's table after
        the last's), so what an unopened view keeps stays small however long the runs. With ``anywhere``
        it replaces every kept call with its key, wherever kept: for a call that sets one part of the view
        whatever came between (the node shown, the newest frame), so only the last of each kind is replayed,
        in the order they came."""
        if self._view is not None:
            call(self._view)
            return
        if key is not None and anywhere:
            self._pending = [kept for kept in self._pending if kept[0] != key]
        if key is not None and self._pending and self._pending[-1][0] == key:
            self._pending[-1] = (key, call)
        else:
            self._pending.append((key, call))

    def if_built(self, call: ViewCall) -> None:
        """``call(view)`` only if the view exists (a call that changes nothing in a view never given data)."""
        if self._view is not None:
            call(self._view)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size_hints[0] if self._view is None and self._size_hints else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return self._size_hints[1] if self._view is None and self._size_hints else super().minimumSizeHint()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        # On screen: build once this paint is over (a widget added while painting would not be laid out).
        super().paintEvent(event)
        if self._view is None and not self._build_queued:
            self._build_queued = True
            QMetaObject.invokeMethod(self, "build", Qt.ConnectionType.QueuedConnection)

    @Slot()
    def build(self) -> None:
        self.view
