"""Pixel attributions from captum: which input pixels a class score depends on, three ways.

* ``saliency``: |d score / d pixel| (Simonyan et al. 2014), the largest over the colour channels;
  fast, noisy.
* ``integrated_gradients``: the gradient averaged along the straight path from a black (mean)
  image to this one, times the difference (Sundararajan et al. 2017); its values add up to the
  score's change along the path. Shown as |sum over the channels|.
* ``occlusion``: how much the score drops when a square patch is covered with the mean colour
  (Zeiler & Fergus 2014); slow, model-agnostic. Only drops are shown.

Each comes from captum (``captum.attr``), a well-kept library, rather than from code of ours;
this module only checks the image, chooses the class and scales the map to 0..1 (divided by its
maximum, like Grad-CAM's), returning the same ``GradCam`` record so the views draw any method.
Grad-CAM itself stays in ``gradcam`` (a layer method: its ``node`` is a convolution; see there why
it does not use captum's equal ``LayerGradCam``). captum is imported on the first call.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..graph import Graph
from .gradcam import GradCam, GradCamError, _check_class, _check_image, grad_cam
from .methods import METHODS
IG_STEPS = 32
#: Occlusion covers patches of about an eighth of the image, moved by half a patch.
OCCLUSION_FRACTION = 8


def occlusion_window(height: int, width: int) -> tuple[int, int]:
    """(patch side, stride) for an image of this size."""
    side = max(2, math.ceil(max(height, width) / OCCLUSION_FRACTION))
    return side, max(1, side // 2)


def attribute(model: nn.Module, graph: Graph, image: torch.Tensor, method: str, *, node: str | None = None,
              class_index: int | None = None) -> GradCam:
    """``method``'s map (see ``METHODS``) of one preprocessed image; ``node`` matters for Grad-CAM only."""
    if method == "gradcam":
        return grad_cam(model, graph, image, node=node, class_index=class_index)
    if method not in METHODS:
        raise GradCamError(f"unknown explanation method {method!r}; choose one of {', '.join(METHODS)}")
    from captum.attr import IntegratedGradients, Occlusion, Saliency

    image = _check_image(graph, image)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    image = image.detach().clone().to(device=device, dtype=torch.float32)
    modes = {module: module.training for module in model.modules()}
    try:
        model.eval()
        with torch.no_grad():
            probabilities = torch.softmax(model(image).float(), dim=1)[0]
        predicted = int(probabilities.argmax())
        chosen = predicted if class_index is None else _check_class(class_index, probabilities.shape[0])
        with torch.enable_grad():
            if method == "saliency":
                raw = Saliency(model).attribute(image, target=chosen, abs=True)
                heat = raw[0].amax(dim=0)
            elif method == "integrated_gradients":
                raw = IntegratedGradients(model).attribute(image, baselines=torch.zeros_like(image), target=chosen,
                                                           n_steps=IG_STEPS)
                heat = raw[0].sum(dim=0).abs()
            else:
                channels, height, width = image.shape[1:]
                side, stride = occlusion_window(height, width)
                raw = Occlusion(model).attribute(image, sliding_window_shapes=(channels, side, side),
                                                 strides=(channels, stride, stride), baselines=0.0, target=chosen)
                heat = torch.relu(raw[0].sum(dim=0))
    finally:
        for module, training in modes.items():
            module.train(training)
    peak = heat.max()
    heat = heat / peak if peak > 0 else torch.zeros_like(heat)
    return GradCam(METHODS[method], chosen, predicted, probabilities.cpu().numpy(),
                   heat.detach().float().cpu().numpy())
