"""Opening the explainer from the main window: Help ▸ Learn Convolution, or a conv node's context menu.

The window keeps one explainer. From a node it takes the node's geometry
and, when the app holds trained weights for that node (a finished run or an
opened checkpoint, ``TrainingUi.trained``), its learned filters; "Use probe
image" offers the image the Feature Maps panel probes with.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PySide6.QtWidgets import QWidget

from engine.explain.convolution import ExplainError, conv_settings, load_grey_image

from ..training.worker import conv_kernels, display_images, validation_sample
from .window import ConvolutionExplainer


def show_convolution_explainer(window: QWidget, node_id: str | None = None) -> ConvolutionExplainer:
    """Shows (creating it once) the window's explainer; with ``node_id``, set up for that conv node."""
    explainer = window.findChild(ConvolutionExplainer)
    if explainer is None:
        explainer = ConvolutionExplainer(window)
    training_ui = getattr(window, "training_ui", None)
    if training_ui is not None:
        explainer.set_probe_source(lambda: has_probe_image(training_ui), lambda: probe_image(training_ui))
    document = getattr(window, "document", None)
    node = document.graph.nodes.get(node_id) if document is not None and node_id is not None else None
    if node is not None and node.type == "conv2d":
        try:
            settings = conv_settings(node.params)
        except ExplainError as error:
            explainer.show_message(f"{node.name}: {error}")
        else:
            explainer.explain_node(node.name, settings, learned_weights(training_ui, node_id, settings.kernel_size))
    explainer.show()
    explainer.raise_()
    explainer.activateWindow()
    return explainer


def learned_weights(training_ui, node_id: str, kernel_size: tuple[int, int]) -> np.ndarray | None:
    """The trained (out, in, kh, kw) weights of ``node_id``, if the app holds a trained network with
    that node at that kernel size (after an edit of the kernel the old weights no longer fit)."""
    trained = getattr(training_ui, "trained", None)
    if trained is None or node_id not in trained.graph.nodes:
        return None
    node = trained.graph.nodes[node_id]
    weights = conv_kernels(trained.model, node.name) if node.type == "conv2d" else None
    if weights is None or tuple(weights.shape[-2:]) != tuple(kernel_size):
        return None
    return weights


def has_probe_image(training_ui) -> bool:
    trained = getattr(training_ui, "trained", None)
    probe = getattr(training_ui, "probe", None)
    if trained is None or probe is None:
        return False
    return probe.probe_file is not None or (trained.data is not None and len(trained.data.val) > 0)


def probe_image(training_ui) -> tuple[torch.Tensor, str]:
    """The Feature Maps panel's probe image as (pixels, caption): its chosen file, else its
    validation image (un-normalised back to 0..255 pixels)."""
    probe, trained = training_ui.probe, training_ui.trained
    if probe.probe_file is not None:
        return load_grey_image(probe.probe_file), Path(probe.probe_file).name
    if trained is None or trained.data is None or len(trained.data.val) == 0:
        raise ExplainError("there is no probe image: train the network or open a checkpoint first")
    index = min(probe.probe_index, len(trained.data.val) - 1)
    image, _label = validation_sample(trained.data, index)
    pixels = display_images(image[None], trained.mean, trained.std)[0]  # (H, W) or (H, W, 3) uint8
    tensor = torch.from_numpy(np.ascontiguousarray(pixels))
    return (tensor if tensor.dim() == 2 else tensor.permute(2, 0, 1)), f"validation image #{index}"
