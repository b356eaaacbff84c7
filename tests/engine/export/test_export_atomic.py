"""Exports are all or nothing: a failure leaves neither a half file nor a temp file."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from engine.export import ExportError, export_onnx, export_torchscript


class Noisy(nn.Module):
    """Random output: the ONNX file gets written in full, then fails its onnxruntime check."""

    def forward(self, x):
        return x + torch.rand_like(x)


class Broken(nn.Module):
    def forward(self, x):
        raise ValueError("this layer cannot run")


def test_an_onnx_export_that_fails_its_check_leaves_no_file(tmp_path):
    with pytest.raises(ExportError, match="disagrees with PyTorch under onnxruntime"):
        export_onnx(Noisy(), torch.randn(1, 4), tmp_path / "noisy.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_export_keeps_the_previous_file(tmp_path):
    target = tmp_path / "model.onnx"
    target.write_bytes(b"previous export")
    with pytest.raises(ExportError):
        export_onnx(Noisy(), torch.randn(1, 4), target)
    assert target.read_bytes() == b"previous export"
    assert list(tmp_path.iterdir()) == [target]


def test_a_torchscript_trace_failure_is_one_line_and_writes_nothing(tmp_path):
    with pytest.raises(ExportError) as caught:
        export_torchscript(Broken(), torch.randn(1, 4), tmp_path / "broken.torchscript.pt")
    assert str(caught.value) == "TorchScript tracing failed: this layer cannot run"
    assert list(tmp_path.iterdir()) == []
