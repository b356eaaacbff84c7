"""Grad-CAM: which regions of an image drove a class score, seen from one convolution.

Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization" (2017). For a convolution's output ``A`` (K maps)
and a class score ``y_c``:

    w_k = mean over positions of dy_c / dA_k        (how much map k helps class c)
    cam = ReLU(sum_k w_k · A_k)                     (where the helpful maps fire)

then upsampled bilinearly to the input size and divided by its maximum, so it
reads 0..1 (a map with no positive evidence stays all zero).

``grad_cam(model, graph, image)`` works on a compiled ConvCanvas network (a
``torch.fx.GraphModule`` whose submodules are named after the graph's nodes).
A forward hook swaps the chosen convolution's output for a detached copy
that requires grad, and ``torch.autograd.grad`` takes the score's gradient
with respect to that copy only: the parameters' ``.grad`` are never touched
and the hook is removed before the call returns, error or not.

captum's ``LayerGradCam`` gives the same maps within 1e-6 (tests/engine/test_attributions.py), but
this stays hand-written: importing ``captum.attr`` takes seconds (it loads its LLM attribution code
too), which every first Grad-CAM of a session would wait for. The pixel attributions, which only
captum offers here, pay that import when first chosen.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..analysis import analyze
from ..compiler import input_shape
from ..graph import Graph, Node, reachable_from


class GradCamError(ValueError):
    """Grad-CAM cannot be computed as asked; the message says why and what to choose instead."""


@dataclass(frozen=True)
class GradCam:
    node: str
    """Name of the convolution the map is seen from."""
    class_index: int
    """The class whose score is explained."""
    predicted: int
    """The network's most probable class for the image."""
    probabilities: np.ndarray
    """Softmax over the class scores, float32 (classes,)."""
    heatmap: np.ndarray
    """float32 (H, W) at the input's size, 0..1."""


def conv_nodes(graph: Graph) -> list[str]:
    """Names of the Conv2d nodes that lead to the Output, in topological order (the last is the default)."""
    sources = {node_id: [edge.src for edge in graph.incoming(node_id)] for node_id in graph.nodes}
    used = reachable_from([node.id for node in graph.nodes_of_type("output")], sources)
    return [graph.nodes[node_id].name for node_id in analyze(graph).order
            if graph.nodes[node_id].type == "conv2d" and node_id in used]


def default_conv_node(graph: Graph) -> str:
    """The last convolution before the Output: the usual Grad-CAM layer (most semantic, still spatial)."""
    return _check_node(graph, None).name


def grad_cam(model: nn.Module, graph: Graph, image: torch.Tensor, *, node: str | None = None,
             class_index: int | None = None) -> GradCam:
    """The Grad-CAM map of one preprocessed image, (1, C, H, W) or (C, H, W), as the training data.

    ``node`` is a Conv2d node's name (default: the last one); ``class_index``
    the class to explain (default: the predicted one). ``model`` is ``graph``
    compiled (eval mode is used; the modules' modes are restored afterwards).
    """
    conv = _check_node(graph, node)
    image = _check_image(graph, image)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    # A copy outside inference mode: data loaded under inference_mode cannot take part in autograd.
    image = image.detach().clone().to(device=device, dtype=torch.float32)
    captured: list[torch.Tensor] = []

    def capture(_module, _inputs, output: torch.Tensor) -> torch.Tensor:
        activation = output.detach().requires_grad_(True)
        captured.append(activation)
        return activation  # the rest of the network runs on the copy, so gradients stop at it

    modes = {module: module.training for module in model.modules()}
    # Inside a composite block the module sits at a dotted path (``layer1.0.conv1``).
    handle = model.get_submodule(graph.module_path(conv.id)).register_forward_hook(capture)
    try:
        model.eval()
        with torch.enable_grad():
            logits = model(image)
            classes = logits.shape[1]
            probabilities = torch.softmax(logits.detach().float(), dim=1)[0]
            predicted = int(probabilities.argmax())
            chosen = predicted if class_index is None else _check_class(class_index, classes)
            (gradient,) = torch.autograd.grad(logits[0, chosen], captured[0])
    finally:
        handle.remove()
        for module, training in modes.items():
            module.train(training)
    heatmap = _cam(captured[0].detach(), gradient, image.shape[-2:])
    return GradCam(conv.name, chosen, predicted, probabilities.cpu().numpy(), heatmap.cpu().numpy())


def _cam(activation: torch.Tensor, gradient: torch.Tensor, size) -> torch.Tensor:
    weights = gradient.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * activation).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=tuple(size), mode="bilinear", align_corners=False)[0, 0]
    peak = cam.max()
    return cam / peak if peak > 0 else torch.zeros_like(cam)


def _check_node(graph: Graph, node: str | None) -> Node:
    convs = conv_nodes(graph)
    if not convs:
        raise GradCamError("Grad-CAM needs a Conv2d layer that leads to the Output, and this network has none.")
    if node is None or node in convs:
        return graph.node_by_name(convs[-1] if node is None else node)
    choices = ", ".join(convs)
    named = graph.node_by_name(node)
    if named is None:
        raise GradCamError(f"there is no node named {node!r}; choose a convolution: {choices}")
    if named.type != "conv2d":
        article = "an" if named.spec.title[0] in "AEIOU" else "a"
        raise GradCamError(f"{node} is {article} {named.spec.title}, not a Conv2d; choose a convolution: {choices}")
    raise GradCamError(f"{node} does not lead to the Output, so no class score depends on it; "
                       f"choose a convolution: {choices}")


def _check_class(class_index, classes: int) -> int:
    try:
        index = operator.index(class_index)  # ints and numpy ints, not floats
    except TypeError:
        index = None
    if index is None or isinstance(class_index, bool) or not 0 <= index < classes:
        raise GradCamError(f"class {class_index!r} is out of range: the network has {classes} classes "
                           f"(0 to {classes - 1})")
    return index


def _check_image(graph: Graph, image: torch.Tensor) -> torch.Tensor:
    expected = input_shape(graph)
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or image.shape[0] != 1:
        raise GradCamError(f"Grad-CAM explains one image at a time: expected (1, C, H, W), got "
                           f"{tuple(image.shape)}")
    if tuple(image.shape[1:]) != expected:
        raise GradCamError(f"the image is {'×'.join(map(str, image.shape[1:]))} but the network takes "
                           f"{'×'.join(map(str, expected))}; prepare it like the training data "
                           f"(engine.predict.load_image_file)")
    return image
