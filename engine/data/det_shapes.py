"""Det-shapes: a bundled, offline detection set, drawn like seg-shapes.

Each image is split into a 2×2 grid; each slot holds a shape (circle, square or triangle, random size,
colour and turn) with chance 0.6, at least one per image, on a textured background. A shape keeps to
its slot, so shapes never overlap and each box is exactly the tight box of its drawn pixels. Boxes are
``[class, x0, y0, x1, y1]`` rows with coordinates as fractions of the image (``engine.tasks.detection``),
one row per slot, ``class = -1`` for an empty slot. Fully determined by the seed.
"""
from __future__ import annotations

import torch

from .datasplit import DatasetInfo
from .seg_shapes import shape_coverage, textured_backgrounds

NAME = "det-shapes"
CLASS_NAMES = ("circle", "square", "triangle")
SLOTS = 4  # a 2×2 grid
SLOT_CHANCE = 0.6
DEFAULT_COUNT = 1000
MAX_COUNT = 20_000


def generate_det_shapes(count: int, size: tuple[int, int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` RGB images (count, 3, H, W) float32 on 0..1 and their boxes (count, 4, 5) float32."""
    if count < 1:
        raise ValueError(f"count must be >= 1, not {count}")
    height, width = size
    g = torch.Generator().manual_seed(int(seed))
    xs, ys, base, images = textured_backgrounds(count, height, width, g)
    present = torch.rand(count, SLOTS, generator=g) < SLOT_CHANCE
    present[torch.arange(count), torch.randint(0, SLOTS, (count,), generator=g)] = True
    boxes = torch.full((count, SLOTS, 5), -1.0)
    slot_h, slot_w = height / 2, width / 2
    dark = base.mean(1, keepdim=True) > 0.5
    for slot in range(SLOTS):
        top, left = (slot // 2) * slot_h, (slot % 2) * slot_w
        kinds = torch.randint(0, len(CLASS_NAMES), (count,), generator=g)
        radius = (0.2 + 0.25 * torch.rand(count, generator=g)) * min(slot_h, slot_w)
        cx = left + radius + torch.rand(count, generator=g) * (slot_w - 2 * radius)
        cy = top + radius + torch.rand(count, generator=g) * (slot_h - 2 * radius)
        turn = torch.rand(count, generator=g) * (2 * torch.pi)
        # Shape colours keep away from the background's: bright on dark, dark on bright.
        colour = torch.where(dark, 0.3 * torch.rand(count, 3, 1, 1, generator=g),
                             0.7 + 0.3 * torch.rand(count, 3, 1, 1, generator=g))
        for kind in range(len(CLASS_NAMES)):
            index = torch.nonzero((kinds == kind) & present[:, slot]).flatten()
            if index.numel() == 0:
                continue
            coverage = shape_coverage(kind, radius[index], cx[index], cy[index], turn[index], xs, ys)
            cover = coverage.unsqueeze(1)
            images[index] = images[index] * (1 - cover) + colour[index] * cover
            boxes[index, slot] = torch.cat([torch.full((index.numel(), 1), float(kind)),
                                            tight_boxes(coverage >= 0.5)], 1)
    images += torch.randn(images.shape, generator=g) * 0.04
    return images.clamp_(0.0, 1.0), boxes


def tight_boxes(inside: torch.Tensor) -> torch.Tensor:
    """(n, H, W) bool → (n, 4) the tightest x0, y0, x1, y1 around the True pixels, as fractions of W and H."""
    n, height, width = inside.shape
    columns, rows = inside.any(1).float(), inside.any(2).float()
    x0, y0 = columns.argmax(1), rows.argmax(1)
    x1, y1 = width - columns.flip(1).argmax(1), height - rows.flip(1).argmax(1)
    return torch.stack([x0 / width, y0 / height, x1 / width, y1 / height], 1).float()


def det_shapes_info(count: int = DEFAULT_COUNT) -> DatasetInfo:
    return DatasetInfo(name=NAME, class_names=CLASS_NAMES, channels=3, native_size=None, num_samples=count,
                       description=f"det-shapes (generated, {count:,} images with boxes of "
                                   f"{len(CLASS_NAMES)} classes)", target="boxes")
