"""The block explainer's model: what the modern families' blocks compute, on small examples, by torch.

Each function runs the very layer a block compiles to (``nn.Hardswish``,
``engine.catalogue.layers.ChannelShuffle``, ``StochasticDepth`` …) and returns
plain numbers for a view to draw:

- ``activation_curve``: an activation and its derivative (autograd) over −6..6, beside the
  smooth function a piecewise one imitates (Hardswish ~ SiLU, Hardsigmoid ~ Sigmoid);
- ``prelu_learning``: a PReLU's slope for negatives, learned by gradient descent;
- ``squeeze_excite``: feature maps, their per-channel means, the gates (0..1) and the gated maps;
- ``channel_shuffle``: where each channel goes;
- ``layer_norm``: each pixel's channels normalised, one pixel worked through;
- ``stochastic_depth``: which samples keep their branch in training, identity at eval;
- ``spatial_mean``: each channel's mean over H×W, equal to AdaptiveAvgPool2d(1).

``block_topics.topic_for(node_type, params)`` names the page that explains a node (None: no page).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..catalogue.layers import ChannelShuffle, LayerNorm2d, SpatialMean, StochasticDepth
from .block_topics import COUNTERPARTS, CURVES, TOPICS, topic_for  # noqa: F401 - re-exported
from .convolution import DTYPE, ExplainError, demo_input, preset_filter

_MIDDLE = {"hardswish": "x·(x + 3)/6", "hardsigmoid": "x/6 + 1/2"}


def _activation(function: str, negative_slope: float = 0.01) -> nn.Module:
    if function not in CURVES:
        raise ExplainError(f"no curve for {function!r}: it is not an element-wise function")
    if function == "leaky_relu":
        return nn.LeakyReLU(negative_slope)
    return getattr(nn, CURVES[function])()


@dataclass(frozen=True)
class Curve:
    name: str
    x: list[float]
    y: list[float]
    slope: list[float]  # dy/dx, by autograd


def curve(function: str, low: float = -6.0, high: float = 6.0, points: int = 481,
          negative_slope: float = 0.01) -> Curve:
    """``function`` and its derivative at ``points`` values from ``low`` to ``high``."""
    x = torch.linspace(low, high, points, dtype=DTYPE, requires_grad=True)
    y = _activation(function, negative_slope)(x)
    (slope,) = torch.autograd.grad(y.sum(), x)
    return Curve(CURVES[function], x.detach().tolist(), y.detach().tolist(), slope.tolist())


@dataclass(frozen=True)
class ActivationCurves:
    main: Curve
    counterpart: Curve | None
    notes: list[str]


def activation_curve(function: str, negative_slope: float = 0.01) -> ActivationCurves:
    """``function``'s curve and slope, its smooth counterpart's, and what comparing them shows."""
    main = curve(function, negative_slope=negative_slope)
    other = COUNTERPARTS.get(function)
    counterpart = curve(other) if other else None
    notes = []
    x = torch.tensor(main.x, dtype=DTYPE)
    y, slope = torch.tensor(main.y, dtype=DTYPE), torch.tensor(main.slope, dtype=DTYPE)
    if counterpart is not None:
        gap = (y - torch.tensor(counterpart.y, dtype=DTYPE)).abs()
        at = int(gap.argmax())
        notes.append(f"It differs from {counterpart.name} by at most {gap[at]:.3f} (at x = {x[at]:+.2f}).")
    if function in ("hardswish", "hardsigmoid"):
        low_end = x[torch.cumprod((slope == slope[0]).to(torch.int8), 0).bool()].max()
        high_end = x[torch.cumprod((slope == slope[-1]).flip(0).to(torch.int8), 0).flip(0).bool()].min()
        notes.append(f"Piecewise: its slope is exactly {float(slope[0]):g} for x ≤ {float(low_end):g} and "
                     f"{float(slope[-1]):g} for x ≥ {float(high_end):g}, {_MIDDLE[function]} between: "
                     "no exp() to compute, cheap on phones (MobileNetV3).")
    notes.append(f"Output from {float(y.min()):.3f} to {float(y.max()):.3f} over x in [−6, 6]; "
                 f"slope from {float(slope.min()):.3f} to {float(slope.max()):.3f}.")
    if float(y.min()) < -1e-9 and function in ("mish", "silu", "hardswish", "gelu"):
        notes.append(f"It dips below zero (lowest {float(y.min()):.3f} at x = {float(x[int(y.argmin())]):+.2f}): "
                     "small negative inputs still pass a little signal and gradient, unlike ReLU.")
    return ActivationCurves(main, counterpart, notes)


@dataclass(frozen=True)
class PReLULearning:
    target: float
    slopes: list[float]  # the learned slope after each step (the first: its initial 0.25)
    losses: list[float]


def prelu_learning(target: float = 0.1, steps: int = 60, rate: float = 0.01, seed: int = 0) -> PReLULearning:
    """An ``nn.PReLU`` fitted by gradient descent to data from max(0, x) + target·min(0, x): its slope
    travels from 0.25 to ``target``."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(256, generator=generator, dtype=DTYPE) * 3
    wanted = F.leaky_relu(x, target)
    layer = nn.PReLU(dtype=DTYPE)
    optimiser = torch.optim.SGD(layer.parameters(), lr=rate)
    slopes, losses = [layer.weight.item()], []
    for _ in range(steps):
        optimiser.zero_grad()
        loss = F.mse_loss(layer(x), wanted)
        loss.backward()
        optimiser.step()
        slopes.append(layer.weight.item())
        losses.append(loss.item())
    return PReLULearning(target, slopes, losses)


def demo_maps(channels: int = 4, side: int = 8) -> torch.Tensor:
    """C×H×W feature maps to explain with: the demo image through classic filters, then ReLU."""
    image = demo_input(side)[None, None]
    names = ("Vertical edge", "Horizontal edge", "Box blur", "Sharpen", "Outline (Laplacian)", "Identity")
    kernels = torch.stack([preset_filter(name, 3) for name in names[:channels]])[:, None]
    return F.relu(F.conv2d(image, kernels, padding=1))[0]


@dataclass(frozen=True)
class SqueezeExcite:
    maps: torch.Tensor      # C×H×W, the block's input
    squeezed: list[float]   # each channel's mean (the squeeze)
    gates: list[float]      # sigmoid of the excitation, one per channel, in (0, 1)
    gated: torch.Tensor     # maps × gates (the Multiply)


def squeeze_excite(maps: torch.Tensor | None = None, reduced: int = 2, seed: int = 0) -> SqueezeExcite:
    """A squeeze-and-excite block with seeded weights on ``maps``: mean over H×W → 1×1 conv → ReLU →
    1×1 conv → Sigmoid → Multiply, as the catalogue's blocks compute it."""
    maps = demo_maps() if maps is None else maps.to(DTYPE)
    channels = maps.shape[0]
    torch.manual_seed(seed)
    excite = nn.Sequential(nn.Conv2d(channels, reduced, 1), nn.ReLU(), nn.Conv2d(reduced, channels, 1),
                           nn.Sigmoid()).to(DTYPE)
    with torch.no_grad():
        squeezed = SpatialMean()(maps[None])
        gates = excite(squeezed)
        gated = maps[None] * gates  # the Multiply block: C×1×1 broadcast over C×H×W
    return SqueezeExcite(maps, squeezed.flatten().tolist(), gates.flatten().tolist(), gated[0])


def channel_shuffle(channels: int, groups: int) -> list[int]:
    """``order[k]``: the input channel that output channel k holds."""
    if channels < 1 or groups < 1 or channels % groups:
        raise ExplainError(f"{groups} groups do not divide {channels} channels: pick groups among "
                           f"{', '.join(str(d) for d in range(1, channels + 1) if channels % d == 0)}")
    index = torch.arange(channels, dtype=DTYPE).reshape(1, channels, 1, 1)
    return [int(v) for v in ChannelShuffle(groups)(index).flatten().tolist()]


@dataclass(frozen=True)
class LayerNormPixel:
    values: torch.Tensor      # C×H×W input
    normalised: torch.Tensor  # C×H×W output of LayerNorm2d (weight 1, bias 0)
    pixel: tuple[int, int]
    mean: float
    variance: float


def demo_tensor(channels: int = 3, side: int = 3, seed: int = 0) -> torch.Tensor:
    """Small whole numbers, C×H×W, each channel on its own scale (as real feature maps are)."""
    generator = torch.Generator().manual_seed(seed)
    values = torch.randint(0, 10, (channels, side, side), generator=generator).to(DTYPE)
    return values * torch.arange(1, channels + 1, dtype=DTYPE)[:, None, None]


def layer_norm(values: torch.Tensor | None = None, pixel: tuple[int, int] = (0, 0),
               eps: float = 1e-6) -> LayerNormPixel:
    values = demo_tensor() if values is None else values.to(DTYPE)
    row, col = pixel
    if not (0 <= row < values.shape[1] and 0 <= col < values.shape[2]):
        raise ExplainError(f"pixel {pixel} is outside the {values.shape[1]}×{values.shape[2]} map")
    with torch.no_grad():
        normalised = LayerNorm2d(values.shape[0], eps=eps).to(DTYPE)(values[None])[0]
    channel_values = values[:, row, col]
    return LayerNormPixel(values, normalised, pixel, float(channel_values.mean()),
                          float(channel_values.var(unbiased=False)))


@dataclass(frozen=True)
class StochasticDepthDraw:
    p: float
    training: list[float]  # each sample's multiplier on its branch while training (0 or 1/(1−p))
    evaluation: list[float]  # the same at eval: all 1
    average: list[float]  # each sample's multiplier averaged over many training draws (≈ 1)
    draws: int


def stochastic_depth(p: float, batch: int = 8, seed: int = 0, draws: int = 2000) -> StochasticDepthDraw:
    """``StochasticDepth(p)`` on a batch of branches that are all ones: the factor each sample gets."""
    if not 0.0 <= p < 1.0:
        raise ExplainError(f"the drop rate must be in [0, 1), not {p:g}")
    layer = StochasticDepth(p)
    ones = torch.ones(batch, 1, 1, 1, dtype=DTYPE)
    torch.manual_seed(seed)
    with torch.no_grad():
        layer.train()
        training = layer(ones).flatten().tolist()
        average = torch.stack([layer(ones) for _ in range(draws)]).mean(0).flatten().tolist()
        layer.eval()
        evaluation = layer(ones).flatten().tolist()
    return StochasticDepthDraw(p, training, evaluation, average, draws)


@dataclass(frozen=True)
class SpatialMeans:
    maps: torch.Tensor
    means: list[float]
    pooled: list[float]  # AdaptiveAvgPool2d(1): the same numbers


def spatial_mean(maps: torch.Tensor | None = None) -> SpatialMeans:
    maps = demo_maps(channels=3, side=5) if maps is None else maps.to(DTYPE)
    with torch.no_grad():
        means = SpatialMean(keepdim=True)(maps[None]).flatten().tolist()
        pooled = nn.AdaptiveAvgPool2d(1)(maps[None]).flatten().tolist()
    return SpatialMeans(maps, means, pooled)
