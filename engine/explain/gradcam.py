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
The arithmetic is captum's ``LayerGradCam`` (it replaced a hand-written hook that
gave the same maps within 1e-6 on the tests): it takes the score's gradient with
``torch.autograd.grad``, so the parameters' ``.grad`` are never touched, and removes
its hook before it returns, error or not. This module checks the request, picks
the class and scales the map.
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
    from captum.attr import LayerGradCam

    modes = {module: module.training for module in model.modules()}
    # Inside a composite block the module sits at a dotted path (``layer1.0.conv1``).
    layer = model.get_submodule(graph.module_path(conv.id))
    try:
        model.eval()
        with torch.no_grad():
            logits = model(image)
        probabilities = torch.softmax(logits.float(), dim=1)[0]
        predicted = int(probabilities.argmax())
        chosen = predicted if class_index is None else _check_class(class_index, logits.shape[1])
        with torch.enable_grad():
            # captum's LayerGradCam: ReLU(sum_k mean(dy_c/dA_k) · A_k), through torch.autograd.grad (the
            # parameters' .grad stay untouched) with its hooks removed before it returns.
            cam = LayerGradCam(model, layer).attribute(image, target=chosen, relu_attributions=True)
    finally:
        for module, training in modes.items():
            module.train(training)
    heatmap = _upsampled(cam.detach(), image.shape[-2:])
    return GradCam(conv.name, chosen, predicted, probabilities.cpu().numpy(), heatmap.cpu().numpy())


def _upsampled(cam: torch.Tensor, size) -> torch.Tensor:
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
