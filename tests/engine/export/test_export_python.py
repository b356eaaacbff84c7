"""Python export: a standalone source file plus its weights, used without ConvCanvas."""
from __future__ import annotations

import torch

from engine.export import export_python

FRESH_PROCESS_CHECK = """
import importlib.util, sys
import torch
spec = importlib.util.spec_from_file_location("shape_net", "export/shape_net.py")
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
model = module.load()
plain = module.ShapeNet().eval()
plain.load_state_dict(torch.load("export/shape_net.pt", weights_only=True))
inputs, expected = torch.load("inputs.pt"), torch.load("expected.pt")
with torch.no_grad():
    difference = max(float((m(inputs) - expected).abs().max()) for m in (model, plain))
assert "engine" not in sys.modules, "the generated source pulled in ConvCanvas"
assert not model.training
print(difference, module.CLASS_NAMES, module.MEAN, module.STD)
"""


def test_python_source_and_weights_run_in_a_fresh_process_without_engine(tmp_path, project, model,
                                                                          run_python):
    source, weights = export_python(project, model.state_dict(), tmp_path / "export" / "shape_net.py",
                                    class_names=["a", "b", "c", "d", "e"], mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2))
    assert (source, weights) == (tmp_path / "export" / "shape_net.py", tmp_path / "export" / "shape_net.pt")
    assert "def load(" in source.read_text() and "import engine" not in source.read_text()
    inputs = torch.randn(3, 3, 16, 16)
    with torch.no_grad():
        torch.save(model(inputs), tmp_path / "expected.pt")
    torch.save(inputs, tmp_path / "inputs.pt")

    result = run_python(FRESH_PROCESS_CHECK, engine=False)

    assert result.returncode == 0, result.stderr
    difference, rest = result.stdout.split(" ", 1)
    assert float(difference) <= 1e-6
    assert rest.strip() == "['a', 'b', 'c', 'd', 'e'] (0.5, 0.5, 0.5) (0.2, 0.2, 0.2)"


def test_python_weights_are_a_plain_state_dict(tmp_path, project, model):
    _, weights = export_python(project.graph, model.state_dict(), tmp_path / "net.py")
    state = torch.load(weights, weights_only=True)
    assert state.keys() == model.state_dict().keys()
    assert all(torch.equal(state[key], value) for key, value in model.state_dict().items())


def test_running_the_exported_file_uses_the_trained_weights(tmp_path, project, model):
    import subprocess
    import sys

    source, weights = export_python(project, model.state_dict(), tmp_path / "shape_net.py")
    result = subprocess.run([sys.executable, str(source)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "ShapeNet with the trained weights of shape_net.pt" in result.stdout
    assert "torch.Size([1, 5])" in result.stdout
    weights.unlink()  # without them, running it fails instead of printing an untrained network's output
    result = subprocess.run([sys.executable, str(source)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "shape_net.pt" in result.stderr
