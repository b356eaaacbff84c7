"""Explainers: exact, small models of what a network computes, for teaching and inspection views.

- ``gradcam``: which regions of an image drove a class score, seen from one convolution.
- ``convolution``: one greyscale input and one filter, step by step: the feature map, each
  window's products and sum, the output-size formula, ReLU and pooling (all computed by torch).

Qt-free, like the rest of the engine.
"""
from .gradcam import GradCam, GradCamError, conv_nodes, default_conv_node, grad_cam

__all__ = ["GradCam", "GradCamError", "conv_nodes", "default_conv_node", "grad_cam"]
