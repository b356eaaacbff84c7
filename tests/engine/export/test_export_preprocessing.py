"""Exports with the preprocessing inside: raw images in, the same scores as the plain network on prepared ones."""
from __future__ import annotations

import warnings

import numpy as np
import onnxruntime
import pytest
import torch

from engine.checkpoint import load_checkpoint
from engine.cli import main
from engine.data import preprocess_images
from engine.export import ExportError, export_checkpoint
from engine.importer import import_file

from .conftest import MEAN, STD


def raw_images() -> torch.Tensor:
    """Two uint8 RGB images of another size than the network's 16×16 Input, as a decoder gives them."""
    return torch.randint(0, 256, (2, 3, 37, 29), dtype=torch.uint8, generator=torch.Generator().manual_seed(5))


def expected_scores(model, images) -> torch.Tensor:
    """The plain network on images prepared by the data pipeline (what training and predict use)."""
    with torch.no_grad():
        return model(preprocess_images(images, (3, 16, 16), MEAN, STD))


def load_torchscript(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is marked deprecated
        return torch.jit.load(str(path))  # our own file, written by the test


def test_torchscript_with_preprocessing_takes_raw_images_of_any_kind(tmp_path, checkpoint_path, model, capsys):
    out = tmp_path / "raw.torchscript.pt"
    assert main(["export", str(checkpoint_path), "--format", "torchscript", "--out", str(out),
                 "--with-preprocessing"]) == 0
    assert "takes raw images" in capsys.readouterr().out
    module = load_torchscript(out)
    images = raw_images()
    with torch.no_grad():
        torch.testing.assert_close(module(images), expected_scores(model, images), atol=1e-5, rtol=1e-5)
        # float 0..1, one image without a batch, a grey image, an RGBA one: the pipeline's rules throughout
        for other in (images.float() / 255, images[0], images[:, :1], torch.cat([images, images[:, :1]], 1)):
            torch.testing.assert_close(module(other), expected_scores(model, other), atol=1e-5, rtol=1e-5)


def test_onnx_with_preprocessing_takes_uint8_images_of_any_size(tmp_path, checkpoint_path, model):
    out = tmp_path / "raw.onnx"
    assert export_checkpoint(load_checkpoint(checkpoint_path), "onnx", out, preprocessing=True) == [out]
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    assert given.type == "tensor(uint8)" and given.shape[1] == 3
    for images in (raw_images(), raw_images()[:1, :, :12, :50], torch.randint(0, 256, (3, 3, 16, 16),
                                                                             dtype=torch.uint8)):
        (scores,) = session.run(None, {given.name: images.numpy()})
        np.testing.assert_allclose(scores, expected_scores(model, images).numpy(), atol=1e-4, rtol=0)


def test_a_plain_export_still_wants_prepared_tensors(tmp_path, checkpoint_path, model):
    out = tmp_path / "plain.torchscript.pt"
    export_checkpoint(load_checkpoint(checkpoint_path), "torchscript", out)
    prepared = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        torch.testing.assert_close(load_torchscript(out)(prepared), model(prepared))


def test_a_torchscript_export_with_preprocessing_imports_back_as_its_network(tmp_path, checkpoint_path, model):
    out = tmp_path / "raw.torchscript.pt"
    export_checkpoint(load_checkpoint(checkpoint_path), "torchscript", out, preprocessing=True)
    result = import_file(out)
    assert result.project.graph.node_by_name("conv1") is not None
    assert torch.equal(result.state_dict["conv1.weight"], model.state_dict()["conv1.weight"])


@pytest.mark.parametrize("format_name", ["python", "checkpoint"])
def test_other_formats_refuse_the_preprocessing_by_name(tmp_path, checkpoint_path, format_name):
    with pytest.raises(ExportError, match="only TorchScript and ONNX exports can include the preprocessing"):
        export_checkpoint(load_checkpoint(checkpoint_path), format_name, tmp_path / "x", preprocessing=True)
    assert list(tmp_path.iterdir()) == [checkpoint_path]


def test_the_cli_refuses_it_for_python_in_one_line(checkpoint_path, capsys):
    assert main(["export", str(checkpoint_path), "--format", "python", "--with-preprocessing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "only TorchScript and ONNX" in err
