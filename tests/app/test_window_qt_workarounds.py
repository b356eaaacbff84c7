"""The work-arounds in ``app.qt_workarounds``.

PySide6 6.12's ``emit()`` drops a reference to ``True`` on every call (Python
3.11): without the fix a long session (ten thousand emits or so) ends in
"Fatal Python error: bool_dealloc". And Python's garbage collector must not
run on worker threads, where it would destroy widgets.
"""
from __future__ import annotations

import gc
import sys
import threading

from PySide6.QtCore import QObject, Signal

import app  # noqa: F401 - the import applies the work-around
from app.qt_workarounds import GuiThreadGarbageCollector, make_singletons_immortal


class Emitter(QObject):
    fired = Signal(bool)


def test_many_emits_cannot_use_up_the_references_to_true(qapp):
    emitter = Emitter()
    received = []
    emitter.fired.connect(received.append)
    for _ in range(30_000):  # more than True's ordinary reference count
        emitter.fired.emit(True)
    assert len(received) == 30_000
    assert sys.getrefcount(True) > 1_000_000 and sys.getrefcount(False) > 1_000_000


def test_many_void_calls_cannot_use_up_the_references_to_none(qapp):
    emitter = Emitter()
    for _ in range(30_000):  # each returns None without a reference in PySide6 6.12
        emitter.setObjectName("x")
    assert sys.getrefcount(None) > 1_000_000


def test_the_work_around_is_applied_once():
    assert make_singletons_immortal() is False  # already done (or not needed on this Python)


class Cyclic:
    """Garbage only the cyclic collector frees; records on which thread that happened."""

    freed_on_main_thread: list[bool] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cyclic.freed_on_main_thread.append(threading.current_thread() is threading.main_thread())


def test_garbage_cycles_are_collected_on_the_gui_thread_not_by_busy_workers(qtbot):
    collector = GuiThreadGarbageCollector(interval_ms=10)
    try:
        Cyclic.freed_on_main_thread.clear()
        for _ in range(1000):  # past the collector's first threshold (700 allocations)
            Cyclic()
        worker = threading.Thread(target=lambda: [{"tracked": []} for _ in range(200_000)])
        worker.start()
        worker.join()  # allocating this much would have run the collector on the worker
        assert Cyclic.freed_on_main_thread == []
        qtbot.waitUntil(lambda: len(Cyclic.freed_on_main_thread) == 1000, timeout=3000)
        assert all(Cyclic.freed_on_main_thread)
    finally:
        collector.stop()


def test_what_a_module_import_on_a_worker_leaves_is_frozen_not_collected_again_and_again(qtbot, tmp_path, monkeypatch):
    # A run's first epoch imports tensorboard, torchmetrics, scipy… on the worker; scanning their
    # objects in young-generation collections held the window still for up to 2 s.
    (tmp_path / "long_lived_module_for_gc_test.py").write_text("TABLE = [[i] for i in range(50_000)]\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    collector = GuiThreadGarbageCollector(interval_ms=10, freeze_imports=True)
    try:
        frozen = gc.get_freeze_count()
        worker = threading.Thread(target=lambda: __import__("long_lived_module_for_gc_test"))
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: gc.get_freeze_count() >= frozen + 50_000, timeout=3000)
        assert gc.get_count()[0] < 1000  # the young generation no longer holds them
    finally:
        collector.stop()
        sys.modules.pop("long_lived_module_for_gc_test", None)
