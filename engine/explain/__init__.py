"""Explainers: exact, small models of what a network computes, for teaching and inspection views.

- ``gradcam``: which regions of an image drove a class score, seen from one convolution.
- ``convolution``: one greyscale input and one filter, step by step: the feature map, each
  window's products and sum, the output-size formula, ReLU and pooling (all computed by torch).

Qt-free, like the rest of the engine.
"""

from ..lazy_exports import lazy_exports

__all__ = ["GradCam", "GradCamError", "conv_nodes", "default_conv_node", "grad_cam"]

# Each name's module is imported on first use: most of them import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "GradCam": ".gradcam",
    "GradCamError": ".gradcam",
    "conv_nodes": ".gradcam",
    "default_conv_node": ".gradcam",
    "grad_cam": ".gradcam",
})
