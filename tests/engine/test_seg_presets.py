"""The segmentation presets: U-Net equal to a hand-written reference, stages as composite blocks."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from engine import analyze, compile_graph, load_project
from engine.layout import collapsed_view

PRESETS = Path(__file__).resolve().parents[2] / "presets"


class DoubleConv(nn.Sequential):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class ReferenceUNet(nn.Module):
    """The usual PyTorch U-Net, written by hand (transposed-convolution variant)."""

    def __init__(self, channels: int, classes: int, widths=(64, 128, 256, 512, 1024)) -> None:
        super().__init__()
        self.inc = DoubleConv(channels, widths[0])
        self.downs = nn.ModuleList(nn.Sequential(nn.MaxPool2d(2), DoubleConv(a, b)) for a, b in zip(widths, widths[1:]))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(widths, widths[1:]))
        self.decoders = nn.ModuleList(DoubleConv(2 * a, a) for a in widths[:-1])
        self.outc = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        skips = [self.inc(x)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up, decode in zip(reversed(self.ups), reversed(self.decoders)):
            x = decode(torch.cat([skips.pop(), up(x)], dim=1))
        return self.outc(x)


def parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name, widths", [("unet", (64, 128, 256, 512, 1024)), ("unet-small", (16, 32, 64))])
def test_unet_has_the_reference_parameter_count_and_output(name, widths):
    project = load_project(PRESETS / f"{name}.cnn.json")
    classes = {"unet": 21, "unet-small": 4}[name]
    analysis = analyze(project.graph, task=project.task)
    assert project.task == "segmentation" and analysis.valid
    assert analysis.total_params == parameters(ReferenceUNet(3, classes, widths))
    size = project.graph.node("input").params["height"]
    assert analysis.nodes["output"].output_shape == (classes, size, size)


def test_unet_small_computes_masks_at_the_input_size():
    project = load_project(PRESETS / "unet-small.cnn.json")
    model = compile_graph(project.graph, analyze(project.graph, task="segmentation"))
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 4, 32, 32)


@pytest.mark.parametrize("name, blocks", [("unet", 9), ("unet-small", 5), ("fcn", 4)])
def test_segmentation_presets_open_as_composite_stages(name, blocks):
    project = load_project(PRESETS / f"{name}.cnn.json")
    assert len(project.graph.groups) == blocks and all(g.collapsed for g in project.graph.groups.values())
    assert len(collapsed_view(project.graph).nodes) < len(project.graph.nodes) / 2
    assert analyze(project.graph, task="segmentation").valid
