"""The one non-negotiable rule: ``engine/`` never imports Qt or pyqtgraph.

The engine is used headless (command line, torchrun, tests), so a Qt import
anywhere in it — even an indirect one — is a bug. Checked twice: statically,
so the failure names the file and line, and dynamically, so imports hidden
behind other modules are caught too.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ENGINE_DIR = REPO_ROOT / "engine"
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pyqtgraph")


def is_forbidden(module_name: str) -> bool:
    top = module_name.split(".", 1)[0]
    return top in FORBIDDEN


def engine_sources() -> list[Path]:
    return sorted(ENGINE_DIR.rglob("*.py"))


def forbidden_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        rel = path.relative_to(REPO_ROOT)
        found += [f"{rel}:{node.lineno} imports {name}" for name in names if is_forbidden(name)]
    return found


def test_engine_sources_exist():
    assert (ENGINE_DIR / "__init__.py").is_file(), "engine/ must be a package"


def test_engine_source_never_imports_qt_or_pyqtgraph():
    offences = [hit for path in engine_sources() for hit in forbidden_imports(path)]
    assert not offences, "engine/ must stay Qt-free:\n" + "\n".join(offences)


# Runs in a fresh interpreter: walks engine/ with pkgutil, imports every
# module except ``__main__`` (an import error fails the test too) and then
# inspects sys.modules.
IMPORT_EVERYTHING = """
import importlib, pkgutil, sys
FORBIDDEN = {forbidden!r}

def fail(name):
    raise ImportError(f"cannot import {{name}}")

import engine
imported = ["engine"]
for info in pkgutil.walk_packages(engine.__path__, prefix="engine.", onerror=fail):
    if info.name.rsplit(".", 1)[-1] == "__main__":  # importing it would run the CLI
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
loaded = sorted({{m.split(".", 1)[0] for m in sys.modules}} & set(FORBIDDEN))
assert not loaded, "importing engine pulled in: " + ", ".join(loaded)
print(f"imported {{len(imported)}} engine modules, no Qt")
"""


def test_importing_every_engine_module_loads_no_qt():
    code = IMPORT_EVERYTHING.format(forbidden=FORBIDDEN)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, (
        f"importing engine modules failed or loaded Qt:\n{result.stdout}\n{result.stderr}"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [("PySide6.QtCore", True), ("pyqtgraph", True), ("shiboken6", True),
     ("PyQt5.QtWidgets", True), ("torch", False), ("engine.graph", False),
     ("pyqtgraphs_lookalike", False)],
)
def test_forbidden_names_are_matched_by_top_level_package(name, expected):
    assert is_forbidden(name) is expected
