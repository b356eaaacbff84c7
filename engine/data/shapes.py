"""Shapes: a synthetic colour dataset generated at any resolution.

Each image holds one shape (circle, square, triangle, cross or ring) with a
random size, position, rotation and colour on a random contrasting
background, plus Gaussian noise. Shapes are drawn directly at the requested
size as anti-aliased masks computed from signed distances for a whole group
of images at once (no per-pixel or per-image Python work), and the set is
fully determined by the seed.
"""

from __future__ import annotations

import math

import torch

from .datasplit import DatasetInfo

NAME = "shapes"
CLASS_NAMES = ("circle", "square", "triangle", "cross", "ring")
DEFAULT_COUNT = 2000
MAX_COUNT = 1_000_000
#: pixels per generation chunk: bounds the temporary memory at large sizes
_CHUNK_PIXELS = 1 << 22


def signed_distance(cls: int, p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Signed distance (in shape radii, negative inside) to shape `cls` at (p, q)."""
    if cls == 0:  # circle
        return torch.hypot(p, q) - 1.0
    if cls == 1:  # square (side 1.6 radii: about the area of the circle)
        return torch.maximum(p.abs(), q.abs()) - 0.8
    if cls == 2:  # equilateral triangle inscribed in the unit circle
        return torch.maximum(-q - 0.5, (q + math.sqrt(3.0) * p.abs() - 1.0) / 2.0)
    if cls == 3:  # cross of two bars 0.6 radii thick
        bar_a = torch.maximum(p.abs() - 0.3, q.abs() - 1.0)
        bar_b = torch.maximum(q.abs() - 0.3, p.abs() - 1.0)
        return torch.minimum(bar_a, bar_b)
    if cls == 4:  # ring, 0.45 radii wide
        rho = torch.hypot(p, q)
        return torch.maximum(0.55 - rho, rho - 1.0)
    raise ValueError(f"unknown shape class {cls}")


def generate_shapes(count: int, size: tuple[int, int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` RGB images (count, 3, H, W) float32 on 0..1 and their labels.

    Classes are balanced (counts differ by at most one) and shuffled.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, not {count}")
    height, width = size
    k = len(CLASS_NAMES)
    g = torch.Generator().manual_seed(int(seed))
    # Every random parameter is drawn up front, so chunking cannot change them.
    labels = (torch.arange(count) % k)[torch.randperm(count, generator=g)]
    radius = (0.22 + 0.2 * torch.rand(count, generator=g)) * min(height, width)
    cx = radius + torch.rand(count, generator=g) * (width - 2 * radius)
    cy = radius + torch.rand(count, generator=g) * (height - 2 * radius)
    angle = torch.rand(count, generator=g) * (2 * math.pi)
    dark_background = (torch.rand(count, 1, generator=g) < 0.5).float()
    # Each channel of the background and foreground is drawn from opposite
    # halves of 0..1, so the shape always stands out.
    low = torch.rand(count, 3, generator=g) * 0.45
    high = 0.55 + torch.rand(count, 3, generator=g) * 0.45
    background = dark_background * low + (1 - dark_background) * high
    foreground = dark_background * high + (1 - dark_background) * low
    noise_level = torch.rand(count, generator=g) * 0.06

    ys = torch.arange(height, dtype=torch.float32).view(1, height, 1) + 0.5
    xs = torch.arange(width, dtype=torch.float32).view(1, 1, width) + 0.5
    images = torch.empty((count, 3, height, width), dtype=torch.float32)
    chunk = max(1, _CHUNK_PIXELS // (height * width))
    for start in range(0, count, chunk):
        stop = min(start + chunk, count)
        coverage = torch.empty((stop - start, height, width))
        for cls in range(k):
            local = torch.nonzero(labels[start:stop] == cls).flatten()
            if local.numel() == 0:
                continue
            i = local + start
            r, cos, sin = radius[i].view(-1, 1, 1), angle[i].cos().view(-1, 1, 1), angle[i].sin().view(-1, 1, 1)
            dx, dy = (xs - cx[i].view(-1, 1, 1)) / r, (ys - cy[i].view(-1, 1, 1)) / r
            p, q = cos * dx + sin * dy, cos * dy - sin * dx
            # Distance in pixels -> coverage: a one-pixel soft edge (anti-aliasing).
            coverage[local] = (0.5 - signed_distance(cls, p, q) * r).clamp_(0.0, 1.0)
        coverage = coverage.unsqueeze(1)
        bg = background[start:stop].view(-1, 3, 1, 1)
        fg = foreground[start:stop].view(-1, 3, 1, 1)
        noise = torch.randn((stop - start, 3, height, width), generator=g) * noise_level[start:stop].view(-1, 1, 1, 1)
        images[start:stop] = (bg + (fg - bg) * coverage + noise).clamp_(0.0, 1.0)
    return images, labels


def shapes_info(count: int = DEFAULT_COUNT) -> DatasetInfo:
    return DatasetInfo(
        name=NAME,
        class_names=CLASS_NAMES,
        channels=3,
        native_size=None,
        num_samples=count,
        # generate_shapes deals labels round-robin: the first `count % k` classes get one more
        class_counts=tuple(count // len(CLASS_NAMES) + (i < count % len(CLASS_NAMES)) for i in range(len(CLASS_NAMES))),
        description=f"shapes (generated, {count:,} images of {len(CLASS_NAMES)} classes)",
    )
