"""A cheaper form of the check PySide6 runs on every module imported after it.

PySide6 replaces ``__import__`` to support ``from __feature__ import snake_case``. After each import
its ``shibokensupport.feature.feature_imported`` asks ``_mod_uses_pyside(module)``: does the module's
source mention "PySide6"? It answers with ``inspect.getsource``, which goes through ``linecache``
(read, decode, split into lines, cache) for each of the ~500 modules the window imports after Qt:
about 0.1 s of the ~1.7 s before the first paint here (napari/napari#8584 traces the same cost).

``install()`` swaps in the same question asked of the module file's bytes. The answer is the same
(a module without a readable ``.py`` file: "no", as ``inspect`` would have failed on it). ConvCanvas
uses no ``__feature__`` itself; the check is kept, only cheaper. Where PySide6 no longer has the
hook (another version), nothing is changed.
"""
from __future__ import annotations

import sys
from types import ModuleType

_FEATURE_MODULE = "shibokensupport.feature"
_MARK = b"PySide6"

#: PySide6's own check, once replaced (kept so that the two can be compared).
replaced = None


def module_uses_pyside(module: ModuleType) -> bool:
    """Whether ``module``'s source file mentions PySide6 (False when it has no ``.py`` source)."""
    try:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return False
        with open(path, "rb") as source:
            return _MARK in source.read()
    except Exception:  # noqa: BLE001 - an import must never fail here (torch.classes raises on any attribute)
        return False


def install() -> bool:
    """Puts ``module_uses_pyside`` in place of PySide6's check; False where there is none to replace."""
    global replaced
    feature = sys.modules.get(_FEATURE_MODULE)
    current = getattr(feature, "_mod_uses_pyside", None)
    if not callable(current):
        return False
    if current is not module_uses_pyside:
        replaced = current
        feature._mod_uses_pyside = module_uses_pyside
    return True
