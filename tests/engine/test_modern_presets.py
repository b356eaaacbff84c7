"""The modern-family presets (MobileNetV3-Small, EfficientNet-B0, ConvNeXt-Tiny, RegNetY-400MF): torchvision's
parameter counts, torchvision's weights fit them tensor for tensor and reproduce its outputs, and their
exports (TorchScript, ONNX, Python source) compute what the compiled network does."""
from __future__ import annotations

import pytest
import torch
import torchvision

from engine import analyze, compile_graph, load_project
from engine.codegen import python_source
from engine.compiler import class_name_for
from engine.export import export_onnx, export_torchscript
from engine.weights import apply_weights, match_weights

from .test_importer import randomised
from .test_presets import preset_path

MODERN = {"mobilenet-v3-small": "mobilenet_v3_small", "efficientnet-b0": "efficientnet_b0",
          "convnext-tiny": "convnext_tiny", "regnet-y-400mf": "regnet_y_400mf"}


@pytest.mark.parametrize("preset", list(MODERN))
def test_preset_takes_torchvisions_weights_and_computes_what_torchvision_does(preset):
    torch.manual_seed(0)
    reference = randomised(torchvision.models.get_model(MODERN[preset], weights=None))
    graph = load_project(preset_path(preset)).graph
    expected_count = sum(p.numel() for p in reference.parameters())
    assert analyze(graph).total_params == expected_count
    compiled = compile_graph(graph, name=preset)
    assert sum(p.numel() for p in compiled.parameters()) == expected_count
    match = match_weights(graph, reference.state_dict(), compiled)
    assert match.complete and not match.unexpected, match.describe()  # every key, every shape
    apply_weights(compiled, match)
    image = torch.randn(2, 3, 224, 224)
    with torch.inference_mode():
        expected = reference(image)
        torch.testing.assert_close(compiled(image), expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())


EXPORT_SIZE = 64
"""Small enough to keep the four exports quick, large enough for every family (ConvNeXt downsamples 32×)."""


@pytest.mark.slow  # the exporters' own time (TorchScript, ONNX), not the image size: minutes under load
@pytest.mark.parametrize("preset", list(MODERN))
def test_preset_exports_compute_what_the_compiled_network_does(preset, tmp_path):
    import onnxruntime

    project = load_project(preset_path(preset))
    (image_input,) = project.graph.nodes_of_type("input")
    for side in ("height", "width"):
        project.graph.set_param(image_input.id, side, EXPORT_SIZE)
    assert analyze(project.graph).valid
    compiled = compile_graph(project.graph, name=project.name).eval()
    image = torch.randn(2, 3, EXPORT_SIZE, EXPORT_SIZE)
    with torch.inference_mode():
        expected = compiled(image)
    tolerance = {"rtol": 1e-4, "atol": 1e-4 * max(1.0, expected.abs().max().item())}
    scripted = torch.jit.load(str(export_torchscript(compiled, image[:1], tmp_path / "net.pt")))  # our own file
    with torch.inference_mode():
        torch.testing.assert_close(scripted(image), expected, **tolerance)
    session = onnxruntime.InferenceSession(str(export_onnx(compiled, image[:1], tmp_path / "net.onnx")),
                                           providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: image.numpy()})
    torch.testing.assert_close(torch.from_numpy(output), expected, **tolerance)
    namespace: dict = {}
    exec(compile(python_source(project.graph, project.name), "net.py", "exec"), namespace)  # noqa: S102
    standalone = namespace[class_name_for(project.name)]().eval()
    standalone.load_state_dict(compiled.state_dict(), strict=True)
    with torch.inference_mode():
        torch.testing.assert_close(standalone(image), expected, **tolerance)
