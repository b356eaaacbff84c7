"""The "Plain vs residual" example: one deep network twice, without and with shortcuts.

Both networks have 20 weight layers on the bundled digits (8×8): a 3×3 stem convolution, nine blocks
of two 3×3 convolutions, and a Dense classifier after global average pooling. The residual one adds
each block's input to its output (He et al., "Deep Residual Learning for Image Recognition", 2016);
the plain one does not. No BatchNorm, on purpose: normalisation hides much of what the shortcuts fix,
and the point is to *see* the gradient fade through 20 plain layers.

``comparison_text`` writes the explanation from the two runs' own numbers (validation accuracy, and
the first convolution's weight gradient against the last one's in the last captured step).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..builders import GraphBuilder
from ..config import TrainingConfig
from ..layout import apply_layout, grouped_layout
from ..project import Project
from .gradient_frame import GradientFrame

BLOCKS = 9
CHANNELS = 8
EXPLANATION = (
    "Both networks have the same 20 weight layers. In the plain one every layer's gradient is the "
    "product of all the layers above it, so it fades on the way down and the first layers barely learn. "
    "In the residual one each block adds its input to its output: the shortcut passes the gradient "
    "down unchanged, so every layer gets a usable signal and the deep network trains."
)


def example_config(epochs: int = 4) -> TrainingConfig:
    return TrainingConfig(dataset="digits", epochs=epochs, batch_size=64, optimizer="adam", lr=0.003, seed=0)


def deep_network(residual: bool, epochs: int = 4) -> Project:
    """The 20-layer network on the digits, with (``residual``) or without shortcuts."""
    builder = GraphBuilder()
    builder.add("input", "image", channels=1, height=8, width=8)
    builder.add("conv2d", "stem", out_channels=CHANNELS, kernel_size=3, padding=1)
    block_input = builder.add("activation", "stem_relu")
    for index in range(1, BLOCKS + 1):
        builder.add("conv2d", f"block{index}_conv1", out_channels=CHANNELS, kernel_size=3, padding=1)
        builder.add("activation", f"block{index}_relu1")
        last = builder.add("conv2d", f"block{index}_conv2", out_channels=CHANNELS, kernel_size=3, padding=1)
        if residual:
            builder.add("add", f"block{index}_add", inputs=[last, block_input])
        block_input = builder.add("activation", f"block{index}_relu2")
    builder.add("adaptiveavgpool2d", "pool", output_size=1)
    builder.add("flatten", "flatten")
    builder.add("dense", "fc", out_features=10)
    builder.add("output", "scores")
    apply_layout(builder.graph, grouped_layout(builder.graph, per_row=12))
    name = "Residual 20" if residual else "Plain 20"
    description = ("20 weight layers with a shortcut around every two convolutions." if residual else
                   "20 weight layers stacked with no shortcuts.")
    return Project(builder.graph, name, description, example_config(epochs))


@dataclass(frozen=True)
class RunSummary:
    name: str
    val_accuracy: float | None
    frame: GradientFrame | None
    """The run's last captured gradient flow (None when the Gradients view was closed)."""

    @property
    def first_to_last(self) -> float | None:
        """The first convolution's weight-gradient norm divided by the last convolution's."""
        if self.frame is None:
            return None
        convs = [layer.weight_grad_norm for layer in self.frame.layers
                 if layer.kind == "Conv2d" and layer.weight_grad_norm is not None]
        if len(convs) < 2 or convs[-1] == 0:
            return None
        return convs[0] / convs[-1]


def comparison_text(plain: RunSummary, residual: RunSummary) -> str:
    """The explanation under the plots, with the two runs' own numbers."""
    lines = [EXPLANATION, ""]
    for run in (plain, residual):
        accuracy = "not validated" if run.val_accuracy is None else f"{100 * run.val_accuracy:.1f} %"
        ratio = run.first_to_last
        gradient = ("no gradient captured (open the Gradients view while it trains)" if ratio is None else
                    f"first convolution's weight gradient = {ratio:.3g} × the last one's")
        lines.append(f"{run.name}: validation accuracy {accuracy}; {gradient}.")
    return "\n".join(lines)
