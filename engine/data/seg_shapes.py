"""Seg-shapes: a bundled, offline segmentation set, generated like Shapes.

Each image holds two shapes (circle, square or triangle; the second may
cover part of the first) in random colours on a textured background (soft
stripes and noise), and its mask labels every pixel: 0 background, then one
class per shape. The second shape's colour differs visibly from the first's,
so where it covers the first its outline shows, as its mask says it does.
Everything is drawn at the requested size from signed distances for a whole
batch at once, and is fully determined by the seed.
"""
from __future__ import annotations

import math

import torch

from .datasplit import DatasetInfo
from .shapes import signed_distance

NAME = "seg-shapes"
CLASS_NAMES = ("background", "circle", "square", "triangle")
_SHAPE_IDS = (0, 1, 2)  # shapes.signed_distance's circle, square, triangle
SHAPES_PER_IMAGE = 2
DEFAULT_COUNT = 2000
"""Twice Shapes' 1,000: at equal training steps unet-small learnt more from 2,000 images seen 10 times than
from 1,000 seen 20 times (mean IoU 0.886 against 0.864; scripts/make_presets.py). Drawn in about half a second
at 32×32."""
MAX_COUNT = 20_000
COLOUR_BAND = 0.3
"""Shape colours lie in the darkest or the brightest 0.3 of each channel, away from the background's."""
MIN_COLOUR_STEP = 0.1
"""The least a shape's colour differs, in every channel, from the shape drawn before it (noise is 0.04)."""


def generate_seg_shapes(count: int, size: tuple[int, int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` RGB images (count, 3, H, W) float32 on 0..1 and their masks (count, H, W) int64."""
    if count < 1:
        raise ValueError(f"count must be >= 1, not {count}")
    height, width = size
    g = torch.Generator().manual_seed(int(seed))
    xs, ys, base, images = textured_backgrounds(count, height, width, g)
    masks = torch.zeros(count, height, width, dtype=torch.int64)
    # Shape colours keep away from the background's: bright on dark, dark on bright.
    band_low = torch.where(base.mean(1, keepdim=True) > 0.5, 0.0, 1.0 - COLOUR_BAND)
    colour = None
    for _ in range(SHAPES_PER_IMAGE):
        kinds = torch.randint(0, len(_SHAPE_IDS), (count,), generator=g)
        radius = (0.16 + 0.14 * torch.rand(count, generator=g)) * min(height, width)
        cx = radius + torch.rand(count, generator=g) * (width - 2 * radius)
        cy = radius + torch.rand(count, generator=g) * (height - 2 * radius)
        turn = torch.rand(count, generator=g) * (2 * math.pi)
        colour = shape_colours(band_low, colour, torch.rand(count, 3, 1, 1, generator=g))
        for kind in range(len(_SHAPE_IDS)):
            index = torch.nonzero(kinds == kind).flatten()
            if index.numel() == 0:
                continue
            coverage = shape_coverage(_SHAPE_IDS[kind], radius[index], cx[index], cy[index], turn[index], xs, ys)
            cover = coverage.unsqueeze(1)
            images[index] = images[index] * (1 - cover) + colour[index] * cover
            masks[index] = torch.where(coverage >= 0.5, kind + 1, masks[index])
    images += torch.randn(images.shape, generator=g) * 0.04
    return images.clamp_(0.0, 1.0), masks


def shape_colours(band_low: torch.Tensor, previous: torch.Tensor | None, draw: torch.Tensor) -> torch.Tensor:
    """Each image's colour (count, 3, 1, 1) for its next shape, from ``draw`` (uniform 0..1, same shape):
    anywhere in the band [band_low, band_low + COLOUR_BAND] for the first shape; for a later one, every
    channel at least ``MIN_COLOUR_STEP`` away from the shape drawn before it (a step of 0.1..0.2 around
    the band), so a shape drawn over another shows its outline rather than vanishing into it while its
    mask still claims its pixels. Either way each colour on its own is uniform in the band."""
    if previous is None:
        return band_low + COLOUR_BAND * draw
    step = MIN_COLOUR_STEP + (COLOUR_BAND - 2 * MIN_COLOUR_STEP) * draw
    return band_low + torch.remainder(previous - band_low + step, COLOUR_BAND)


def textured_backgrounds(count: int, height: int, width: int, g: torch.Generator):
    """Pixel-centre grids ``xs`` (1, 1, W) and ``ys`` (1, H, 1), each image's base colour (count, 3, 1, 1)
    and the backgrounds (count, 3, H, W): a random stripe pattern per image, so a flat colour is not a
    shortcut to "background"."""
    ys = torch.arange(height, dtype=torch.float32).view(1, height, 1) + 0.5
    xs = torch.arange(width, dtype=torch.float32).view(1, 1, width) + 0.5
    angle = torch.rand(count, 1, 1, generator=g) * math.pi
    frequency = (0.15 + 0.35 * torch.rand(count, 1, 1, generator=g)) * 32 / max(height, width)
    stripes = torch.sin((xs * angle.cos() + ys * angle.sin()) * frequency * 2 * math.pi)
    base = 0.25 + 0.5 * torch.rand(count, 3, 1, 1, generator=g)
    return xs, ys, base, (base + 0.12 * stripes.unsqueeze(1)).expand(count, 3, height, width).clone()


def shape_coverage(shape_id: int, radius: torch.Tensor, cx: torch.Tensor, cy: torch.Tensor, turn: torch.Tensor,
                   xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """How much of each pixel (n, H, W), 0..1, shape ``shape_id`` of ``radius`` px covers, centred at
    (cx, cy) and turned by ``turn`` radians (one value of each per image): an anti-aliased edge."""
    r = radius.view(-1, 1, 1)
    cos, sin = turn.cos().view(-1, 1, 1), turn.sin().view(-1, 1, 1)
    dx, dy = (xs - cx.view(-1, 1, 1)) / r, (ys - cy.view(-1, 1, 1)) / r
    p, q = cos * dx + sin * dy, cos * dy - sin * dx
    return (0.5 - signed_distance(shape_id, p, q) * r).clamp(0.0, 1.0)


def seg_shapes_info(count: int = DEFAULT_COUNT) -> DatasetInfo:
    return DatasetInfo(name=NAME, class_names=CLASS_NAMES, channels=3, native_size=None, num_samples=count,
                       description=f"seg-shapes (generated, {count:,} images with masks of "
                                   f"{len(CLASS_NAMES)} classes)", target="mask")
