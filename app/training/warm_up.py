"""torch's compiler stack and torchvision, imported once, on one thread, before any other thread uses them.

torch imports its compiler stack (``torch._dynamo``, over a second) on a run's first optimiser step,
and torchvision registers its operators with torch's dispatcher when it is first imported. Two
threads doing either at once can see each other's half-done registrations: once in ~30 launches the
warm-up failed with ``'_OpNamespace' 'prims' object has no attribute 'sum'`` while the GUI thread
imported torchvision for the import dialog. So the imports are serialised:

* ``warm_up_torch`` (started once the window has painted) imports them, torch itself first, in order,
  on one daemon thread, so the window never waits for torch and the first Train and the first import
  dialog start promptly;
* everything else that may import them waits for it first with ``wait_for_torch_warm_up`` (which
  starts a scheduled one at once): every background job (``BackgroundJobs``), every training run
  (``TrainingWorker``), and the GUI code that imports torch (import, weights and checkpoints, the
  explainer, Train called from code). The window's controls for these are disabled until then.
"""
from __future__ import annotations

import importlib
import threading

from ..qt_workarounds import freeze_long_lived

THREAD_NAME = "ConvCanvas torch warm-up"
# torchvision first: its operator registrations are complete before the compiler stack reads torch.ops.
MODULES = ("torchvision", "torch._dynamo")

_start_lock = threading.Lock()
_thread: threading.Thread | None = None
_scheduled = False


def schedule_warm_up() -> None:
    """Says that this process prepares torch behind a window (which calls ``warm_up_torch`` once it has
    painted): from now until the warm-up has finished, ``torch_ready`` is False."""
    global _scheduled
    _scheduled = True


def warm_up_torch() -> None:
    """Starts the imports, once per process, on a daemon thread."""
    global _thread
    with _start_lock:
        if _thread is None:
            _thread = threading.Thread(target=_import_modules, daemon=True, name=THREAD_NAME)
            _thread.start()


def _import_modules() -> None:
    for name in MODULES:
        importlib.import_module(name)
    freeze_long_lived()  # the modules just imported live as long as the process


def warming_up() -> bool:
    """True while the warm-up imports run."""
    thread = _thread
    return thread is not None and thread.is_alive()


def torch_ready() -> bool:
    """False while a warm-up is scheduled or running: whatever would import torch waits (the window is
    shown before any torch import). True in a process that prepares nothing behind a window (tests,
    scripts), where torch is imported where it is first used."""
    thread = _thread
    return not thread.is_alive() if thread is not None else not _scheduled


def wait_for_torch_warm_up() -> None:
    """Blocks until the warm-up's imports have finished (at once if none is scheduled), starting a
    scheduled one now (the window starts it after its first paint; a caller may need torch sooner).
    Call it before using torch or torchvision on any thread other than the warm-up's."""
    if _scheduled:
        warm_up_torch()
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
