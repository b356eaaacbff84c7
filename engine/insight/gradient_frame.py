"""What one captured step of gradient flow holds, and the warnings it raises (no torch: the window
imports this before torch is ready). See ``gradients`` for how the numbers are measured."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LayerGradients:
    name: str
    """The layer's module path (the name probes know it by)."""
    kind: str
    """The module's class name (Conv2d, ReLU…)."""
    weight_grad_norm: float | None
    """None: the layer has no trainable weights."""
    activation_grad_norm: float | None
    """None: no gradient reached the output (frozen layers before any trainable one)."""
    update_ratio: float | None
    dead_share: float | None = None
    saturated_share: float | None = None


@dataclass(frozen=True)
class GradientFrame:
    epoch: int
    step: int
    """The global step the statistics were captured at (counted from 1)."""
    layers: tuple[LayerGradients, ...]

    def layer(self, name: str) -> LayerGradients:
        return next(layer for layer in self.layers if layer.name == name)


#: A layer is flagged when at least this share of its units is dead, or of its values saturated.
DEAD_FLAG_SHARE = 0.25
SATURATED_FLAG_SHARE = 0.25


def layer_flags(frame: GradientFrame) -> dict[str, str]:
    """Short warnings per layer name ("dead 40 %", "saturated 31 %") for the layers that need one."""
    flags = {}
    for layer in frame.layers:
        notes = []
        if layer.dead_share is not None and layer.dead_share >= DEAD_FLAG_SHARE:
            notes.append(f"dead {100 * layer.dead_share:.0f} %")
        if layer.saturated_share is not None and layer.saturated_share >= SATURATED_FLAG_SHARE:
            notes.append(f"saturated {100 * layer.saturated_share:.0f} %")
        if notes:
            flags[layer.name] = ", ".join(notes)
    return flags
