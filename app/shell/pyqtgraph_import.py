"""Imports pyqtgraph without NVIDIA's CUDA bindings, which it loads for a widget ConvCanvas never uses.

``import pyqtgraph`` imports ``pyqtgraph.widgets.RawImageWidget``, which tries
``from cuda.bindings import runtime`` for its OpenGL/CUDA video path. With the CUDA bindings
installed (torch's CUDA wheels bring them) that import took 0.2 s of CPU, 0.6 s at load, before
the first window could paint. ConvCanvas draws with ImageItems, never RawImageGLWidget, so the
bindings are kept out of that one import; torch may import them later, behind the shown window.
"""
from __future__ import annotations

import sys

_BINDINGS = "cuda.bindings"


def import_pyqtgraph_without_cuda() -> None:
    if "pyqtgraph" in sys.modules:
        return
    blocked = _BINDINGS not in sys.modules
    if blocked:
        sys.modules[_BINDINGS] = None  # an import of it raises ImportError, which pyqtgraph expects
    try:
        import pyqtgraph  # noqa: F401 - imported for its side effect: it is in sys.modules from now on
    finally:
        if blocked and sys.modules.get(_BINDINGS, ...) is None:
            del sys.modules[_BINDINGS]
