"""Pausing Python's cyclic garbage collector while a burst of long-lived objects is made.

Importing torch and torchvision makes hundreds of thousands of objects that
live as long as the process: the collector, triggered every few hundred
allocations, walks them again and again and frees nothing (a sixth of the
imports' time). Pausing it meanwhile changes no result.
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside the block; afterwards the collector is as it was."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
