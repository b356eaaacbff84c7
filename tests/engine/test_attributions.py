"""Integrated Gradients, Saliency and Occlusion: exactly captum's numbers, scaled to 0..1, for the class
asked; and the hand-written Grad-CAM equals captum's LayerGradCam (kept hand-written: see gradcam.py)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from captum.attr import IntegratedGradients, LayerGradCam, Occlusion, Saliency

from engine.explain.attributions import IG_STEPS, attribute, occlusion_window
from engine.explain.gradcam import GradCamError, grad_cam

from .test_gradcam import small_network


@pytest.fixture
def network():
    return small_network()


@pytest.fixture
def image():
    return torch.randn(3, 12, 12, generator=torch.Generator().manual_seed(4))


def scaled(heat: torch.Tensor) -> np.ndarray:
    return (heat / heat.max()).detach().numpy()


def test_each_method_is_captums_output_scaled_to_one(network, image):
    graph, model = network
    model.eval()
    batch = image[None]
    target = 3
    saliency = Saliency(model).attribute(batch.clone(), target=target, abs=True)[0].amax(0)
    ig = IntegratedGradients(model).attribute(batch.clone(), baselines=torch.zeros_like(batch), target=target,
                                              n_steps=IG_STEPS)[0].sum(0).abs()
    side, stride = occlusion_window(12, 12)
    occlusion = torch.relu(Occlusion(model).attribute(batch.clone(), sliding_window_shapes=(3, side, side),
                                                      strides=(3, stride, stride), baselines=0.0,
                                                      target=target)[0].sum(0))
    for method, expected in (("saliency", saliency), ("integrated_gradients", ig), ("occlusion", occlusion)):
        result = attribute(model, graph, image, method, class_index=target)
        assert result.class_index == target and result.heatmap.shape == (12, 12)
        np.testing.assert_allclose(result.heatmap, scaled(expected), atol=1e-6, err_msg=method)
        assert result.heatmap.max() == pytest.approx(1.0)


def test_saliency_is_the_gradient_of_the_score(network, image):
    graph, model = network
    model.eval()
    pixels = image[None].clone().requires_grad_(True)
    predicted = int(model(pixels).argmax())
    model(pixels)[0, predicted].backward()
    direct = pixels.grad[0].abs().amax(0)
    result = attribute(model, graph, image, "saliency")
    assert result.class_index == result.predicted == predicted
    np.testing.assert_allclose(result.heatmap, scaled(direct), atol=1e-6)


def test_integrated_gradients_add_up_to_the_change_of_the_score(network, image):
    """Completeness: the attributions sum to score(image) − score(baseline) (up to the path's steps)."""
    graph, model = network
    model.eval()
    batch = image[None]
    ig = IntegratedGradients(model).attribute(batch, baselines=torch.zeros_like(batch), target=1, n_steps=IG_STEPS)
    with torch.no_grad():
        change = float(model(batch)[0, 1] - model(torch.zeros_like(batch))[0, 1])
    assert float(ig.sum()) == pytest.approx(change, rel=0.05, abs=1e-3)


def test_the_hand_written_grad_cam_equals_captums_layer_grad_cam(network, image):
    graph, model = network
    for node in ("conv1", "conv2"):
        for class_index in range(5):
            ours = grad_cam(model, graph, image, node=node, class_index=class_index)
            model.eval()
            theirs = LayerGradCam(model, model.get_submodule(node)).attribute(
                image[None], target=class_index, relu_attributions=True)
            theirs = F.interpolate(theirs, size=(12, 12), mode="bilinear", align_corners=False)[0, 0]
            peak = theirs.max()
            expected = (theirs / peak).detach().numpy() if peak > 0 else np.zeros((12, 12), np.float32)
            np.testing.assert_allclose(ours.heatmap, expected, atol=1e-6, err_msg=f"{node} class {class_index}")


def test_an_unknown_method_and_a_bad_class_are_refused(network, image):
    graph, model = network
    model.train()
    with pytest.raises(GradCamError, match="choose one of gradcam, integrated_gradients"):
        attribute(model, graph, image, "lime")
    with pytest.raises(GradCamError, match="out of range"):
        attribute(model, graph, image, "saliency", class_index=7)
    assert model.training  # the modes are put back after a refusal too
