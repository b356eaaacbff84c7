"""Batched data augmentation on tensors: random crop with padding, flips, quarter turns.

Everything here works on a whole (N, C, H, W) batch at once (a pad, one
gather for all the per-sample crop offsets, one `where` for the flips), so
augmenting costs about as much as copying the batch, with no per-sample
Python or PIL work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where a batch is augmented: DataSplit and DatasetInfo stay light
    import torch

PAD_MODES = ("replicate", "reflect", "zeros")


def default_crop_padding(height: int, width: int) -> int:
    """About 1/8 of the smaller side, at least 2 px, at most 1/4 of it.

    4 px for 32×32 (the usual CIFAR-10 recipe), 3 for 28×28, 2 for 8×8.
    """
    side = min(height, width)
    return max(0, min(max(2, side // 8), side // 4))


@dataclass(frozen=True)
class Augment:
    """Random crop with padding and optional horizontal flip.

    `crop_padding`: pixels added on each side before cropping back to the
    original size at a random offset; None picks :func:`default_crop_padding`,
    0 turns cropping off. `flip`: mirror half the images left-right (wrong for
    digits and letters, fine for photos). `pad_mode`: how the border is filled
    ("replicate" repeats the edge pixels, "reflect" mirrors them, "zeros"
    fills with 0, which is the mean colour after normalisation).
    """

    crop_padding: int | None = None
    flip: bool = False
    pad_mode: str = "replicate"
    scale: float = 0.0
    """Masks and boxes (``paired``, ``paired_boxes``) only: random zoom in by up to this much (0.25: 1.25×)."""
    turn: bool = False
    """Turn each image by a random quarter turn (0, 90, 180 or 270°): with ``flip``, all eight symmetries of
    the square. Square images only (a turn swaps height and width)."""

    def __post_init__(self) -> None:
        if self.pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode must be one of {PAD_MODES}, not {self.pad_mode!r}")
        if self.crop_padding is not None and self.crop_padding < 0:
            raise ValueError(f"crop_padding must be >= 0, not {self.crop_padding}")

    def padding_for(self, height: int, width: int) -> int:
        pad = default_crop_padding(height, width) if self.crop_padding is None else self.crop_padding
        if self.pad_mode == "reflect":  # reflection cannot reach further than the image
            pad = min(pad, height - 1, width - 1)
        return pad

    @property
    def is_identity(self) -> bool:
        return self.crop_padding == 0 and not self.flip and not self.scale and not self.turn

    def __call__(self, images: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Augment a batch (N, C, H, W); returns a new tensor of the same shape.

        Random numbers come from `generator` (a CPU generator, or None for
        torch's global one), so the result is reproducible whatever device
        `images` is on.
        """
        import torch

        n, _, h, w = images.shape
        if n == 0:
            return images
        pad = self.padding_for(h, w)
        if pad > 0:
            images = random_crop(images, pad, self.pad_mode, generator)
        if self.flip:
            flip = torch.rand(n, generator=generator) < 0.5
            flip = flip.to(images.device).view(n, 1, 1, 1)
            images = torch.where(flip, images.flip(-1), images)
        if self.turn:
            images = quarter_turns(images, random_quarter_turns(n, generator))
        return images


    def paired(self, images: torch.Tensor, masks: torch.Tensor,
               generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Augment images (N, C, H, W) and their masks (N, H, W) with the very same crop, scale and flip.

        The mask rides along as one more channel, so it moves exactly with the pixels; it is padded
        by replicating its edge (as the image is) and comes back as exact class indices.
        """
        import torch

        n, c = images.shape[:2]
        if n == 0:
            return images, masks
        if self.scale:
            images, masks = random_scale(images, masks, self.scale, generator)
        joined = torch.cat([images, masks.unsqueeze(1).to(images.dtype)], dim=1)
        mode = "replicate" if self.pad_mode == "zeros" else self.pad_mode
        joined = Augment(self.crop_padding, self.flip, mode, turn=self.turn)(joined, generator)
        return joined[:, :c], joined[:, c].round().to(masks.dtype)


def paired_boxes(augment: Augment, images: torch.Tensor, boxes: torch.Tensor,
                 generator: torch.Generator | None = None, min_kept: float = 0.5) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment images (N, C, H, W) with the zoom, crop and flip of ``augment`` and move their box rows (N, M, 5:
    class, x0, y0, x1, y1 as fractions of the image; engine.tasks.detection) with the pixels.

    A box the zoom or crop cuts is clipped to the image; one with less than ``min_kept`` of its (zoomed) area
    left becomes padding (class −1)."""
    import torch

    n, _, h, w = images.shape
    if n == 0:
        return images, boxes
    boxes = boxes.clone()
    valid = boxes[..., 0] >= 0
    corners = boxes[..., 1:]
    if augment.scale:
        zoom, shift = zoom_parameters(n, augment.scale, generator)
        images = zoom_images(images, zoom, shift, "bilinear")
        # The grid samples input point zoom·o + shift (coordinates −1..1) for output point o: invert that.
        z, (sx, sy) = zoom.view(n, 1, 1).to(boxes), shift.to(boxes).view(n, 1, 1, 2).unbind(-1)
        xs = ((2 * corners[..., 0::2] - 1 - sx) / z + 1) / 2
        ys = ((2 * corners[..., 1::2] - 1 - sy) / z + 1) / 2
        corners = torch.stack([xs[..., 0], ys[..., 0], xs[..., 1], ys[..., 1]], -1)
    area = (corners[..., 2] - corners[..., 0]) * (corners[..., 3] - corners[..., 1])
    corners = corners.clamp(0, 1)
    pad = augment.padding_for(h, w)
    if pad > 0:
        dy, dx = crop_offsets(n, pad, generator)
        images = random_crop(images, pad, augment.pad_mode, offsets=(dy, dx))
        shift = torch.stack([(pad - dx) / w, (pad - dy) / h] * 2, 1).view(n, 1, 4).to(boxes)
        corners = (corners + shift).clamp(0, 1)
    if augment.flip:
        flip = torch.rand(n, generator=generator) < 0.5
        images = torch.where(flip.to(images.device).view(n, 1, 1, 1), images.flip(-1), images)
        mirrored = torch.stack([1 - corners[..., 2], corners[..., 1], 1 - corners[..., 0], corners[..., 3]], -1)
        corners = torch.where(flip.view(n, 1, 1).to(boxes.device), mirrored, corners)
    if augment.turn:
        turns = random_quarter_turns(n, generator)
        images = quarter_turns(images, turns)
        for _ in range(3):  # one quarter turn at a time, for the images that have turns left
            turned = torch.stack([corners[..., 1], 1 - corners[..., 2], corners[..., 3], 1 - corners[..., 0]], -1)
            corners = torch.where((turns > 0).view(n, 1, 1).to(boxes.device), turned, corners)
            turns = turns - 1
    left = (corners[..., 2] - corners[..., 0]) * (corners[..., 3] - corners[..., 1])
    kept = valid & (left >= min_kept * area.clamp(min=1e-12))
    boxes[..., 0] = torch.where(kept, boxes[..., 0], torch.full_like(boxes[..., 0], -1.0))
    boxes[..., 1:] = corners
    return images, boxes


def random_quarter_turns(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each image's number of quarter turns (n,), 0..3."""
    import torch

    return torch.randint(0, 4, (n,), generator=generator)


def quarter_turns(images: torch.Tensor, turns: torch.Tensor) -> torch.Tensor:
    """Images (N, C, H, W) with H = W, each turned ``turns[i]`` quarter turns (``torch.rot90`` over H, W: the
    top row becomes the left column, so a point at (x, y) as fractions of the image goes to (y, 1 − x))."""
    import torch

    if images.shape[-1] != images.shape[-2]:
        raise ValueError(f"quarter turns need square images, not {images.shape[-2]}×{images.shape[-1]}")
    turns = turns.to(images.device).view(-1, *[1] * (images.dim() - 1))
    turned = images
    for quarter in range(1, 4):
        turned = torch.where(turns == quarter, images.rot90(quarter, (-2, -1)), turned)
    return turned


def random_scale(images: torch.Tensor, masks: torch.Tensor, scale: float,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zoom each image in by a random factor in [1, 1 + scale] about a random point (one affine grid for
    the batch): bilinear for the image, nearest for the mask, so both keep their size and line up."""
    zoom, shift = zoom_parameters(images.shape[0], scale, generator)
    images = zoom_images(images, zoom, shift, "bilinear")
    zoomed = zoom_images(masks.unsqueeze(1).to(images.dtype), zoom, shift, "nearest").squeeze(1)
    return images, zoomed.round().to(masks.dtype)


def zoom_parameters(n: int, scale: float,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's zoom (n,), the share 1 / (1 + scale·u) of the image it keeps, and the centre (n, 2) of
    that window, x and y in −1..1 coordinates, placed at random so the window stays inside the image."""
    import torch

    zoom = 1 / (1 + scale * torch.rand(n, generator=generator))
    shift = (1 - zoom).unsqueeze(1) * (2 * torch.rand(n, 2, generator=generator) - 1)
    return zoom, shift


def zoom_images(images: torch.Tensor, zoom: torch.Tensor, shift: torch.Tensor, mode: str) -> torch.Tensor:
    """Images (N, C, H, W) zoomed in by ``zoom_parameters``' window, one affine grid for the batch."""
    import torch
    import torch.nn.functional as F

    theta = torch.zeros(images.shape[0], 2, 3)
    theta[:, 0, 0], theta[:, 1, 1], theta[:, :, 2] = zoom, zoom, shift
    grid = F.affine_grid(theta.to(images.device, images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode=mode, padding_mode="border", align_corners=False)


def crop_offsets(n: int, pad: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Each image's crop offset (dy, dx) into its padded copy, 0..2·pad: pixel (y, x) moves to (y + pad − dy, …)."""
    import torch

    return (torch.randint(0, 2 * pad + 1, (n,), generator=generator),
            torch.randint(0, 2 * pad + 1, (n,), generator=generator))


def random_crop(
    images: torch.Tensor, pad: int, pad_mode: str = "replicate", generator: torch.Generator | None = None,
    offsets: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Pad by `pad` px on every side, then crop each image at its own random offset (or at `offsets`)."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = images.shape
    mode = "constant" if pad_mode == "zeros" else pad_mode
    padded = F.pad(images, (pad, pad, pad, pad), mode=mode)
    dy, dx = offsets if offsets is not None else crop_offsets(n, pad, generator)
    dy, dx = dy.to(images.device), dx.to(images.device)
    rows = (dy.view(n, 1) + torch.arange(h, device=images.device)).view(n, 1, h, 1)
    cols = (dx.view(n, 1) + torch.arange(w, device=images.device)).view(n, 1, 1, w)
    batch = torch.arange(n, device=images.device).view(n, 1, 1, 1)
    chans = torch.arange(c, device=images.device).view(1, c, 1, 1)
    return padded[batch, chans, rows, cols]
