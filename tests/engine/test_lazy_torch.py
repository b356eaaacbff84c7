"""Checking a network needs no torch: ``import engine``, opening a preset and its analysis stay light.

torch takes 2.5–3.6 s to import; the window, the CLI's ``summary`` and the analysis need only shapes,
which are pure Python. Run in a fresh process, because this process has imported torch long ago.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys
import engine
from engine import analyze, input_shape, load_project, python_source, InvalidGraphError
from engine.codegen import python_source
from engine.data import DatasetError
from engine.export import __all__ as export_names
from engine.finetune import block_freezing, freeze_plan
from engine.importer import ModelImportError
from engine.training import FitError, TrainingError
project = load_project(sys.argv[1])
report = analyze(project.graph)
assert report.valid and len(input_shape(project.graph)) == 3
assert "class " in python_source(project.graph, project.name)
heavy = sorted(name for name in ("torch", "torchvision", "onnx") if name in sys.modules)
print(",".join(heavy) or "none")
"""


def test_analysing_a_preset_imports_no_torch():
    result = subprocess.run([sys.executable, "-c", CHECK, str(REPO_ROOT / "presets" / "lenet5.cnn.json")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "none"


def test_a_package_name_still_brings_its_torch_module_when_used():
    from engine import compile_graph, load_project
    from engine.training import Trainer

    model = compile_graph(load_project(REPO_ROOT / "presets" / "lenet5.cnn.json").graph)
    assert type(model).__name__ == "Network" and Trainer.__module__ == "engine.training.trainer"
