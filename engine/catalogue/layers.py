"""The few layers torch.nn lacks, which the modern families (ConvNeXt, EfficientNet, ShuffleNet) need.

Each class uses only ``torch`` and ``nn``: the code generator copies its
source into the exported Python file, so that file still needs only
PyTorch. Each computes exactly what torchvision computes (same operations in
the same order), so an imported network gives the same numbers, and its
parameters carry torchvision's names (``weight``, ``bias``), so
torchvision's ``state_dict`` loads with strict key matching.

This module imports torch: the catalogue refers to these classes by name
(``ModuleCall("LayerNorm2d", ...)``) and imports them only when a network is built.
"""
from __future__ import annotations

import torch
from torch import nn


class LayerNorm2d(nn.Module):
    """LayerNorm over the channels of each pixel (ConvNeXt's), on batch×C×H×W."""

    def __init__(self, channels: int, eps: float = 1e-6, affine: bool = True):
        super().__init__()
        self.normalized_shape = (channels,)
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels)) if affine else None
        self.bias = nn.Parameter(torch.zeros(channels)) if affine else None

    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = nn.functional.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class PointwiseLinear(nn.Module):
    """A Linear layer applied to every pixel's channel vector (ConvNeXt's MLP), on batch×C×H×W.

    The same as a 1×1 convolution, but its weight keeps Linear's out×in layout (and name)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features)) if bias else None
        bound = in_features ** -0.5  # nn.Linear's initialisation
        nn.init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        x = nn.functional.linear(x.permute(0, 2, 3, 1), self.weight, self.bias)
        return x.permute(0, 3, 1, 2)


class LayerScale(nn.Module):
    """A learned scale per channel (ConvNeXt's ``layer_scale``), C×1×1 broadcast over C×H×W.

    torchvision keeps it as a bare parameter of the block (``features.1.0.layer_scale``); here it is
    ``features.1.0.layer_scale.scale``, and ``engine.weights`` reads the one as the other."""

    def __init__(self, channels: int, init: float = 1e-6):
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels, 1, 1), float(init)))

    def forward(self, x):
        return self.scale * x


class StochasticDepth(nn.Module):
    """Drops a residual branch for whole samples while training ("row" mode); identity at eval.

    As ``torchvision.ops.StochasticDepth``: the kept samples are scaled by 1/(1−p)."""

    def __init__(self, p: float = 0.1):
        super().__init__()
        self.p = p

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1), dtype=x.dtype, device=x.device)
        noise = noise.bernoulli_(survival)
        if survival > 0.0:
            noise = noise.div_(survival)
        return x * noise


class ChannelShuffle(nn.Module):
    """Interleaves the channels of ``groups`` groups (ShuffleNet), as torchvision's channel_shuffle."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        batch, channels, height, width = x.size()
        x = x.view(batch, self.groups, channels // self.groups, height, width)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(batch, channels, height, width)


class SpatialMean(nn.Module):
    """The mean of each channel over height and width (``x.mean((2, 3), keepdim=True)``): C×1×1, or C
    without ``keepdim``."""

    def __init__(self, keepdim: bool = True):
        super().__init__()
        self.keepdim = keepdim

    def forward(self, x):
        return x.mean((2, 3), keepdim=self.keepdim)


class ChannelSlice(nn.Module):
    """Channels ``start`` to ``stop`` (not included) of batch×C×H×W: one part of ``x.chunk(2, dim=1)``."""

    def __init__(self, start: int, stop: int):
        super().__init__()
        self.start, self.stop = start, stop

    def forward(self, x):
        return x[:, self.start:self.stop]


class L2Normalize(nn.Module):
    """Each sample's vector divided by its L2 length (``nn.functional.normalize(x, dim=1)``): an embedding."""

    def __init__(self, eps: float = 1e-12):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        return nn.functional.normalize(x, p=2.0, dim=1, eps=self.eps)


CUSTOM_LAYERS: dict[str, type[nn.Module]] = {
    cls.__name__: cls for cls in (LayerNorm2d, PointwiseLinear, LayerScale, StochasticDepth, ChannelShuffle,
                                  SpatialMean, ChannelSlice, L2Normalize)
}
"""The classes a ``ModuleCall`` may name without ``nn.``; the exported source defines them."""
