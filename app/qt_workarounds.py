"""Work-arounds for hazards of Qt under Python.

1. Applied once when ``app`` is imported: PySide6's reference leaks.

PySide6 6.12.0 returns ``True`` from ``SignalInstance.emit()`` and ``None``
from every void method (``setText``, ``update``…) without taking a
reference. On Python 3.12+ that is harmless (both are immortal), but on 3.11
each call lowers the reference count by one; after about a thousand emits
Python aborts with "Fatal Python error: bool_dealloc" (or none_dealloc).
Giving ``True``, ``False`` and ``None`` a reference count no program can use
up makes them immortal, as newer Pythons do. (PySide6 6.11.2 does not leak;
6.12 is what a fresh install gets, so the fix stays until a fixed release.)

2. ``GuiThreadGarbageCollector`` (the app installs it at start): Python's
cyclic garbage collector runs in whichever thread happens to allocate. When
a worker thread (training, background jobs) triggers it, it may destroy
widgets caught in reference cycles (pyqtgraph's menus are) on that thread,
and Qt crashes. So automatic collection is switched off and the GUI thread
collects on a timer, with the thresholds the automatic collector would use.
In the app (``freeze_imports``), what a module import leaves (a run's first use of tensorboard,
torchmetrics, scipy… on the worker) lives as long as the process, so it is frozen out of the
collections instead.
"""
from __future__ import annotations

import ctypes
import gc
import sys

from PySide6.QtCore import QObject, QTimer

# Far more emits than any session makes, yet far from overflowing the count.
_SPARE_REFERENCES = 1 << 40


def make_singletons_immortal() -> bool:
    """Raises the reference counts of True, False and None; True if it was needed and done."""
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if sys.getrefcount(True) > _SPARE_REFERENCES // 2:
        return False  # already done
    for value in (True, False, None):
        # In CPython 3.11, a PyObject starts with its Py_ssize_t reference count.
        count = ctypes.c_ssize_t.from_address(id(value))
        before = sys.getrefcount(value)
        count.value += _SPARE_REFERENCES
        if sys.getrefcount(value) != before + _SPARE_REFERENCES:  # an unusual build: undo
            count.value -= _SPARE_REFERENCES
            return False
    return True


class GuiThreadGarbageCollector(QObject):
    """Collects garbage cycles on the thread it lives on (the GUI thread), never elsewhere.

    What is alive now (torch, Qt and the modules they import: millions of objects) is
    frozen out of collections (``gc.freeze``): it lives as long as the process, and a full
    collection scanning it held the GUI still for ~0.2 s. ``freeze_long_lived`` does the same
    for what a later warm-up import brings in.
    """

    def __init__(self, interval_ms: int = 1000, parent: QObject | None = None, freeze_imports: bool = False) -> None:
        """``freeze_imports``: freeze, rather than collect, when modules were imported since the last
        collection (see ``collect_due``). The app's process does; a test session does not, as freezing
        also keeps whatever is alive then (a test's window) from ever being collected."""
        super().__init__(parent)
        self._freeze_imports = freeze_imports
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        freeze_long_lived()
        self._modules = len(sys.modules)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)

    def collect_due(self) -> None:
        """Collects the generations whose allocation counts passed their thresholds, or, when modules
        were imported since the last call, freezes what is alive instead.

        A training run's first epoch imports ~1,300 modules on the worker (tensorboard, torchmetrics,
        scipy, matplotlib…): collected as young objects, their ~0.5 million objects were scanned again
        each time they moved up a generation, holding the window (and, by the GIL, the training) still
        for 0.1-2 s at a time (bench_gui, measured on the GUI thread with gc.callbacks)."""
        modules = len(sys.modules)
        if modules != self._modules and self._freeze_imports:
            # Also freezes what is alive or cyclic garbage now (the window, a run's objects): never
            # collected later, a bounded leak once per import burst, against stalls all run long.
            freeze_long_lived()
            self._modules = modules
            return
        counts = gc.get_count()
        for generation in range(3):
            if counts[generation] <= self._thresholds[generation]:
                break
            gc.collect(generation)

    def stop(self) -> None:
        """A last full collection here, then automatic collection as it was before."""
        self._timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()


def freeze_long_lived() -> None:
    """Moves every object alive now out of the collector's sight, so collections stay short."""
    gc.freeze()
