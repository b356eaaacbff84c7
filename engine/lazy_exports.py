"""A package's names, imported from their modules on first use (PEP 562).

Most of the engine's packages re-export names from modules that import torch (over 2 s). The
desktop window and the analysis need only the light ones (errors, settings, names), so a package
imports a module when one of its names is first asked for, not when the package is imported.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps each name to its module,
    relative to the package (``".trainer"``)."""
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # found directly from now on
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__
