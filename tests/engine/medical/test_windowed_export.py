"""An export from a project with a window takes a DICOM's raw 16-bit values and windows them as the app
does: TorchScript, ONNX (under onnxruntime) and the Python export's ``apply_window`` each reproduce the
app's output on the same file within 1e-5."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from engine import Graph, Project, compile_graph
from engine.checkpoint import load_checkpoint, save_checkpoint
from engine.compiler import input_window
from engine.export import export_checkpoint
from engine.predict import load_image_file

from .medical_writers import ct_slice, write_dicom

MEAN, STD = (0.3,), (0.2,)
INTERCEPT = -1024
TOLERANCE = 1e-5


@pytest.fixture
def checkpoint(tmp_path):
    """A grey 16×16 network trained (here: seeded) at the soft-tissue window, saved as a checkpoint."""
    graph = Graph()
    chain = [graph.add_node("input", {"channels": 1, "height": 16, "width": 16, "window": "soft-tissue"}),
             graph.add_node("conv2d", {"out_channels": 4, "kernel_size": 3}), graph.add_node("flatten"),
             graph.add_node("dense", {"out_features": 3}), graph.add_node("output")]
    for source, target in zip(chain, chain[1:]):
        graph.connect(source.id, target.id)
    torch.manual_seed(0)
    model = compile_graph(graph).eval()
    path = save_checkpoint(tmp_path / "ct.pt", project=Project(graph, "Ct"), model_state=model.state_dict(),
                           class_names=["a", "b", "c"], mean=MEAN, std=STD, metrics={}, history=[], epoch=1)
    return load_checkpoint(path), model


def app_output_and_raw(model, graph, path, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The app's output for a DICOM file (read, windowed, adapted, normalised: ``predict``'s path), and the
    file's raw values as a 16-bit array in Hounsfield units (stored values + the rescale intercept)."""
    stored = ct_slice(size, True, seed=size)
    stored[0, 0], stored[1, 1] = 0, 4095  # far outside the window on both sides: the clamp matters
    write_dicom(path, stored, intercept=INTERCEPT, window=(-600, 1500))  # the file's own window is not used
    with torch.no_grad():
        app = model(load_image_file(path, (1, 16, 16), MEAN, STD, input_window(graph))).numpy()
    return app, (stored.astype(np.int32) + INTERCEPT).astype(np.int16)


def test_the_window_is_the_projects_not_the_files(checkpoint):
    assert input_window(checkpoint[0].project.graph).band(None) == (40.0, 400.0)


def test_torchscript_with_preprocessing_windows_raw_values_as_the_app(checkpoint, tmp_path):
    ckpt, model = checkpoint
    app, raw = app_output_and_raw(model, ckpt.project.graph, tmp_path / "scan.dcm", size=23)
    (written,) = export_checkpoint(ckpt, "torchscript", tmp_path / "ct.torchscript.pt", preprocessing=True)
    exported = torch.jit.load(str(written)).eval()  # our own export, not a user's file
    with torch.no_grad():
        output = exported(torch.from_numpy(raw)[None]).numpy()  # one (1, H, W) int16 image
    np.testing.assert_allclose(output, app, atol=TOLERANCE, rtol=0)


def test_onnx_with_preprocessing_windows_raw_values_as_the_app(checkpoint, tmp_path):
    import onnxruntime

    ckpt, model = checkpoint
    app, raw = app_output_and_raw(model, ckpt.project.graph, tmp_path / "scan.dcm", size=21)
    (written,) = export_checkpoint(ckpt, "onnx", tmp_path / "ct.onnx", preprocessing=True)
    session = onnxruntime.InferenceSession(str(written), providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: raw.astype(np.float32)[None, None]})
    np.testing.assert_allclose(output, app, atol=TOLERANCE, rtol=0)


def test_the_python_export_windows_raw_values_as_the_app(checkpoint, tmp_path):
    ckpt, model = checkpoint
    app, raw = app_output_and_raw(model, ckpt.project.graph, tmp_path / "scan.dcm", size=16)  # no resize here
    source, _ = export_checkpoint(ckpt, "python", tmp_path / "ct_model.py")
    spec = importlib.util.spec_from_file_location("ct_model", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (module.WINDOW_CENTRE, module.WINDOW_WIDTH) == (40.0, 400.0)
    images = module.apply_window(raw)[None, None]
    mean, std = torch.tensor(module.MEAN).view(1, -1, 1, 1), torch.tensor(module.STD).view(1, -1, 1, 1)
    with torch.no_grad():
        output = module.load()((images - mean) / std).numpy()
    np.testing.assert_allclose(output, app, atol=TOLERANCE, rtol=0)


def test_a_files_own_window_is_not_baked_into_an_export(tmp_path, checkpoint):
    """Each file carries its own window: an export of such a project still takes images on 0..1."""
    from engine.export.preprocessing import preprocessing_of
    from engine.data.windowing import Window

    plain = preprocessing_of((1, 16, 16), MEAN, STD, Window())
    assert plain.band is None and "uint8" in plain.describe("onnx")
    ckpt, _ = checkpoint
    ckpt.project.graph.nodes_of_type("input")[0].params["window"] = "file"
    source, _ = export_checkpoint(ckpt, "python", tmp_path / "plain_model.py")
    assert "WINDOW_CENTRE" not in source.read_text()
