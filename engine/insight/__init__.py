"""Insight: what a network does beyond its outputs, for the views that teach why it works.

- ``gradients``: per-layer gradient flow of one training step (weight and activation gradient
  norms, update/weight ratio, dead ReLUs, saturated activations), captured only when asked
  (``gradient_frame`` holds the records, torch-free).
- ``receptive_field``: each node's receptive field on the input, from the graph alone
  (``receptive_rules``: what each block does to it, in words for the block guide).
- ``plain_vs_residual``: the example that trains a 20-layer network without and with shortcuts.

Qt-free, like the rest of the engine.
"""

from ..lazy_exports import lazy_exports

__all__ = ["GradientCapture", "GradientFrame", "GradientMailbox", "LayerGradients", "gradient_layers", "layer_flags"]

# Each name's module is imported on first use: they import torch (see engine.lazy_exports).
__getattr__, __dir__ = lazy_exports(__name__, {
    "GradientCapture": ".gradients",
    "GradientFrame": ".gradient_frame",
    "GradientMailbox": ".gradients",
    "LayerGradients": ".gradient_frame",
    "layer_flags": ".gradient_frame",
    "gradient_layers": ".gradients",
})
