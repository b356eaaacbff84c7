"""`convcanvas export` as a user runs it: files land where it says, failures are one line with exit 2."""
from __future__ import annotations

import onnxruntime
import pytest
import torch

from engine.checkpoint import load_checkpoint
from engine.cli import main


def test_export_torchscript_beside_the_checkpoint_by_default(checkpoint_path, model, run_cli):
    result = run_cli("export", str(checkpoint_path), "--format", "torchscript")

    assert result.returncode == 0, result.stderr
    written = checkpoint_path.with_name("shapes.torchscript.pt")
    assert result.stdout.startswith(f"TorchScript: {written} (") and result.stdout.endswith(" KB)\n")
    inputs = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(torch.jit.load(written)(inputs), model(inputs))


def test_export_onnx_to_a_chosen_path_keeps_the_terminal_clean(tmp_path, checkpoint_path, model, capfd):
    out = tmp_path / "deploy" / "net.onnx"
    assert main(["export", str(checkpoint_path), "--format", "onnx", "--out", str(out)]) == 0

    # capfd sees the file descriptors, so it also catches output from C++ code (torch, onnxruntime).
    printed = capfd.readouterr()
    assert printed.out.splitlines() == [f"ONNX: {out} ({out.stat().st_size / 1000:.1f} KB)"]
    assert printed.err == ""
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    inputs = torch.randn(2, 3, 16, 16)
    (scores,) = session.run(None, {"image": inputs.numpy()})  # named after the Input node
    with torch.no_grad():
        torch.testing.assert_close(torch.from_numpy(scores), model(inputs), atol=1e-4, rtol=0)


def test_export_python_writes_source_and_weights(checkpoint_path, capsys):
    assert main(["export", str(checkpoint_path), "--format", "python"]) == 0

    source, weights = checkpoint_path.with_name("shapes_model.py"), checkpoint_path.with_name("shapes_model.pt")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" (")[0] for line in lines] == [f"Python source: {source}", f"weights: {weights}"]
    assert "CLASS_NAMES = ['circle', 'square', 'triangle', 'star', 'cross']" in source.read_text()
    assert torch.load(weights, weights_only=True).keys() == load_checkpoint(checkpoint_path).model_state.keys()


def test_export_checkpoint_copies_everything(tmp_path, checkpoint_path, capsys):
    out = tmp_path / "copy.pt"
    assert main(["export", str(checkpoint_path), "--format", "checkpoint", "--out", str(out)]) == 0

    original, copy = load_checkpoint(checkpoint_path), load_checkpoint(out)
    assert (copy.class_names, copy.mean, copy.std, copy.epoch, copy.history, copy.metrics) == (
        original.class_names, original.mean, original.std, original.epoch, original.history, original.metrics)
    assert all(torch.equal(copy.model_state[k], v) for k, v in original.model_state.items())


@pytest.mark.parametrize("fmt, out", [("checkpoint", "shapes.pt"), ("python", "shapes.py")])
def test_export_refuses_to_overwrite_its_own_checkpoint(checkpoint_path, capsys, fmt, out):
    before = checkpoint_path.read_bytes()
    assert main(["export", str(checkpoint_path), "--format", fmt, "--out", str(checkpoint_path.with_name(out))]) == 2

    assert "would overwrite the checkpoint itself; choose another --out" in capsys.readouterr().err
    assert checkpoint_path.read_bytes() == before


def test_export_of_a_missing_checkpoint_is_one_line(tmp_path, capsys):
    assert main(["export", str(tmp_path / "nope.pt"), "--format", "onnx"]) == 2
    assert capsys.readouterr().err == f"convcanvas export: {tmp_path / 'nope.pt'}: no such file\n"


def test_export_refuses_a_malicious_checkpoint(malicious_checkpoint, capsys):
    # In-process (the entry point's own run is the test above): a payload that ran would leave the marker.
    path, marker = malicious_checkpoint
    assert main(["export", str(path), "--format", "torchscript"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"convcanvas export: {path}: refused to load") and err.count("\n") == 1
    assert not marker.exists() and not path.with_name("evil.torchscript.pt").exists()
