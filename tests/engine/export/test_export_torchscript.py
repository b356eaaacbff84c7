"""TorchScript export: a file that runs with torch alone, in a process that never saw ConvCanvas."""
from __future__ import annotations

import torch

from engine.export import export_torchscript

FRESH_PROCESS_CHECK = """
import sys
import torch
model = torch.jit.load("model.torchscript.pt")
inputs, expected = torch.load("inputs.pt"), torch.load("expected.pt")
with torch.no_grad():
    actual = model(inputs)
assert "engine" not in sys.modules, "the TorchScript file pulled in ConvCanvas"
assert actual.shape == expected.shape, (actual.shape, expected.shape)
print(float((actual - expected).abs().max()))
"""


def test_torchscript_runs_in_a_fresh_process_without_engine(tmp_path, model, run_python):
    model.train()  # the exporter must export eval behaviour (BatchNorm running stats) whatever the mode
    path = export_torchscript(model, torch.randn(1, 3, 16, 16), tmp_path / "model.torchscript.pt")
    assert path == tmp_path / "model.torchscript.pt" and model.training, "the caller's mode is restored"
    inputs = torch.randn(3, 3, 16, 16)  # another batch size than the trace's
    with torch.no_grad():
        expected = model.eval()(inputs)
    torch.save(inputs, tmp_path / "inputs.pt")
    torch.save(expected, tmp_path / "expected.pt")

    result = run_python(FRESH_PROCESS_CHECK, engine=False)

    assert result.returncode == 0, result.stderr
    assert float(result.stdout) < 1e-5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["expected.pt", "inputs.pt", "model.torchscript.pt"]
