"""Grad-CAM on compiled networks: equal to a computation written out by hand, and side-effect free."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine import analyze, compile_graph
from engine.builders import GraphBuilder
from engine.explain.gradcam import GradCamError, conv_nodes, default_conv_node, grad_cam
from engine.predict import ImageFileError, load_image_file

from .graphs import residual

CLASSES = 5


def small_network():
    """3×12×12 → conv1 → relu → pool → conv2 → relu → flatten → fc (5 classes)."""
    builder = GraphBuilder()
    builder.add("input", "input", channels=3, height=12, width=12)
    builder.add("conv2d", "conv1", out_channels=4, kernel_size=3, padding=1)
    builder.add("activation", "relu1", function="relu")
    builder.add("maxpool2d", "pool1", kernel_size=2, stride=2)
    builder.add("conv2d", "conv2", out_channels=6, kernel_size=3, padding=1)
    builder.add("activation", "relu2", function="relu")
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=CLASSES)
    builder.add("output", "output")
    torch.manual_seed(0)
    return builder.graph, compile_graph(builder.graph)


@pytest.fixture
def network():
    return small_network()


@pytest.fixture
def image():
    return torch.randn(1, 3, 12, 12, generator=torch.Generator().manual_seed(1))


def by_hand(model, image: torch.Tensor, node: str, class_index: int | None) -> tuple[np.ndarray, int]:
    """Grad-CAM written out: the network in two halves around ``node``, the score's gradient at the cut."""
    first = {"conv1": ["conv1"], "conv2": ["conv1", "relu1", "pool1", "conv2"]}[node]
    rest = ["conv1", "relu1", "pool1", "conv2", "relu2", "flatten", "fc"][len(first):]
    features = image
    with torch.no_grad():
        for name in first:
            features = model.get_submodule(name)(features)
    features.requires_grad_()
    logits = features
    for name in rest:
        logits = model.get_submodule(name)(logits)
    chosen = int(logits.argmax()) if class_index is None else class_index
    logits[0, chosen].backward()
    with torch.no_grad():
        weights = features.grad.mean((2, 3))
        cam = torch.relu((weights[:, :, None, None] * features).sum(1, keepdim=True))
        cam = F.interpolate(cam, size=(12, 12), mode="bilinear", align_corners=False)[0, 0]
        cam = cam / cam.max() if cam.max() > 0 else cam
    return cam.numpy(), chosen


@pytest.mark.parametrize(("node", "class_index"), [("conv2", None), ("conv2", 3), ("conv1", 1)])
def test_the_map_equals_a_direct_computation(network, image, node, class_index):
    graph, model = network
    result = grad_cam(model, graph, image, node=node, class_index=class_index)
    expected, chosen = by_hand(model, image, node, class_index)
    assert result.heatmap.shape == (12, 12) and result.heatmap.dtype == np.float32
    np.testing.assert_allclose(result.heatmap, expected, atol=1e-6, rtol=0)
    assert result.class_index == chosen and result.node == node
    assert result.heatmap.max() == pytest.approx(1.0) and result.heatmap.min() >= 0.0
    assert result.predicted == int(model(image).argmax())
    assert result.probabilities.sum() == pytest.approx(1.0, abs=1e-5)


def test_the_default_is_the_predicted_class_at_the_last_convolution(network, image):
    graph, model = network
    assert conv_nodes(graph) == ["conv1", "conv2"]
    assert default_conv_node(graph) == "conv2"
    result = grad_cam(model, graph, image)
    assert (result.node, result.class_index) == ("conv2", result.predicted)


def test_conv_nodes_follow_the_topological_order_and_skip_dead_branches():
    graph = residual()
    order = [graph.nodes[node_id].name for node_id in analyze(graph).order]
    convs = [name for name in order if name.startswith("conv")]
    assert conv_nodes(graph) == convs and len(convs) == 3
    dead = graph.add_node("conv2d", {"out_channels": 2, "kernel_size": 1}, name="unused_conv").id
    graph.connect(graph.node_by_name("conv1").id, dead)
    assert "unused_conv" not in conv_nodes(graph)
    model = compile_graph(graph)
    with pytest.raises(GradCamError, match="unused_conv does not lead to the Output"):
        grad_cam(model, graph, torch.randn(1, 3, 16, 16), node="unused_conv")
    assert grad_cam(model, graph, torch.randn(1, 3, 16, 16)).node == convs[-1]


def test_the_chosen_class_changes_the_map(network, image):
    graph, model = network
    maps = [grad_cam(model, graph, image, class_index=index).heatmap for index in range(CLASSES)]
    assert any(not np.allclose(maps[0], other) for other in maps[1:])


def test_no_hook_is_left_and_no_gradient_reaches_the_parameters(network, image):
    graph, model = network
    grad_cam(model, graph, image)
    with pytest.raises(GradCamError):
        grad_cam(model, graph, image, class_index=CLASSES)
    assert all(not module._forward_hooks for module in model.modules())
    assert all(parameter.grad is None and parameter.requires_grad for parameter in model.parameters())


def test_the_modules_modes_are_put_back(network, image):
    graph, model = network
    model.train()
    evaluated = grad_cam(model, graph, image).heatmap
    assert all(module.training for module in model.modules())
    model.eval()
    np.testing.assert_array_equal(grad_cam(model, graph, image).heatmap, evaluated)


def test_a_map_without_positive_evidence_stays_zero(network, image):
    graph, model = network
    with torch.no_grad():
        model.conv2.weight.zero_()
        model.conv2.bias.zero_()
    heatmap = grad_cam(model, graph, image).heatmap
    assert not np.isnan(heatmap).any() and not heatmap.any()


def test_bad_requests_are_refused_with_the_choices(network, image):
    graph, model = network
    with pytest.raises(GradCamError, match=r"relu1 is an Activation, not a Conv2d; choose a convolution: conv1, conv2"):
        grad_cam(model, graph, image, node="relu1")
    with pytest.raises(GradCamError, match="no node named 'nope'"):
        grad_cam(model, graph, image, node="nope")
    with pytest.raises(GradCamError, match=r"class 7 is out of range: the network has 5 classes \(0 to 4\)"):
        grad_cam(model, graph, image, class_index=7)
    with pytest.raises(GradCamError, match="out of range"):
        grad_cam(model, graph, image, class_index=-1)
    with pytest.raises(GradCamError, match="one image at a time"):
        grad_cam(model, graph, torch.randn(2, 3, 12, 12))
    with pytest.raises(GradCamError, match="the image is 1×12×12 but the network takes 3×12×12"):
        grad_cam(model, graph, torch.randn(1, 12, 12))


def test_a_network_without_convolutions_is_refused():
    builder = GraphBuilder()
    builder.add("input", "input", channels=1, height=4, width=4)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=2)
    builder.add("output", "output")
    with pytest.raises(GradCamError, match="needs a Conv2d layer"):
        grad_cam(compile_graph(builder.graph), builder.graph, torch.randn(1, 1, 4, 4))


def test_an_image_file_is_prepared_like_for_prediction(network, tmp_path):
    graph, model = network
    path = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (30, 20, 3), dtype=np.uint8)).save(path)
    image = load_image_file(path, (3, 12, 12), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
    assert image.shape == (1, 3, 12, 12)
    assert grad_cam(model, graph, image[0]).heatmap.shape == (12, 12)
    with pytest.raises(ImageFileError, match="missing.png: no such file") as caught:
        load_image_file(tmp_path / "missing.png", (3, 12, 12), (0.5,) * 3, (0.25,) * 3)
    assert caught.value.reason == "no such file"
