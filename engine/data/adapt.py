"""Adapting images to the Input node: size, channels, normalisation.

Training data and the user images given to `predict` go through the very same
functions here, so a trained model always sees its inputs prepared one way.

Conventions: tensors are channels-first, (N, C, H, W) for batches; uint8
images are on the 0..255 scale, floating images on 0..1. Adapted images are
float32 on 0..1 until :func:`normalise_` turns them into (x - mean) / std.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .errors import DatasetError

#: ITU-R BT.601 luma weights, the usual RGB -> grey conversion (as PIL's "L").
LUMA_WEIGHTS = (0.299, 0.587, 0.114)

#: PIL modes that hold a single grey channel (possibly with alpha).
GREY_PIL_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})

#: float elements per chunk of work (64 MB): bounds the temporary memory
_CHUNK_ELEMENTS = 1 << 24


def _images_per_chunk(*per_image_shapes: Sequence[int]) -> int:
    largest = max(int(np.prod(shape)) for shape in per_image_shapes)
    return max(1, _CHUNK_ELEMENTS // max(1, largest))


def check_input_shape(input_shape: Sequence[int]) -> tuple[int, int, int]:
    """Return `input_shape` as a (C, H, W) tuple, or raise DatasetError."""
    try:
        c, h, w = (int(v) for v in input_shape)
    except (TypeError, ValueError):
        raise DatasetError(
            f"The Input shape {input_shape!r} is not (channels, height, width); "
            "set the Input node to e.g. 1×28×28 or 3×32×32."
        ) from None
    if c not in (1, 3):
        raise DatasetError(
            f"The Input node asks for {c} channels, but images have 1 (grey) or 3 (RGB) "
            "channels; set the Input channels to 1 or 3."
        )
    if h < 1 or w < 1:
        raise DatasetError(f"The Input size {h}×{w} is empty; give it a height and width of at least 1.")
    return c, h, w


def to_unit_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 0..255 -> float32 0..1; floating images are taken to be on 0..1."""
    if images.dtype == torch.uint8:
        return images.to(torch.float32).div_(255.0)
    if images.is_floating_point():
        return images.to(torch.float32)
    raise DatasetError(f"Images must be uint8 (0..255) or floating point (0..1), not {images.dtype}.")


def drop_alpha(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) with C in 1..4 -> grey or RGB, dropping an alpha channel.

    Grey+alpha (C=2) keeps the grey, RGBA (C=4) keeps RGB, as torchvision's
    ImageFolder loader does.
    """
    have = images.shape[1]
    if have in (1, 3):
        return images
    if have == 2:
        return images[:, :1]
    if have == 4:
        return images[:, :3]
    raise DatasetError(f"Images with {have} channels cannot be used; expected 1 (grey) or 3 (RGB).")


# ``luma`` is an argument because TorchScript (exports with preprocessing) cannot read a global tuple.
def convert_channels(images: torch.Tensor, channels: int,
                     luma: tuple[float, float, float] = LUMA_WEIGHTS) -> torch.Tensor:
    """Float (N, C, H, W), C in 1..4 -> (N, `channels`, H, W), `channels` 1 or 3.

    Grey becomes RGB by repetition, RGB becomes grey with the luma weights.
    """
    images = drop_alpha(images)
    if images.shape[1] == channels:
        return images
    if channels == 1:
        weights = torch.tensor([luma[0], luma[1], luma[2]], dtype=images.dtype, device=images.device)
        return (images * weights.view(1, 3, 1, 1)).sum(dim=1, keepdim=True)
    return images.expand(-1, 3, -1, -1)


def resize(images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Bilinear resize with antialiasing (so shrinking does not alias)."""
    if images.shape[-2] == size[0] and images.shape[-1] == size[1]:
        return images
    return F.interpolate(images, size=size, mode="bilinear", antialias=True, align_corners=False)


def adapt_batch(images: torch.Tensor, channels: int, height: int, width: int) -> torch.Tensor:
    """One batch (N, C, H, W), uint8 or float, C in 1..4 -> (N, `channels`, `height`, `width`) float32 0..1.

    TorchScript compiles this (and what it calls), so exports can carry the very same adaptation.
    """
    images = to_unit_float(images)
    # Convert to grey before resizing and to RGB after: the resize then works on as few channels as
    # possible (both orders give the same result, since both operations are linear).
    if channels == 1:
        return resize(convert_channels(images, 1), (height, width))
    return convert_channels(resize(drop_alpha(images), (height, width)), 3)


def adapt_images(images: torch.Tensor, input_shape: Sequence[int]) -> torch.Tensor:
    """Resize and convert a batch (N, C, H, W) to `input_shape`, float32 on 0..1.

    Works through the batch in chunks so the float copies of a large uint8
    set never exist all at once; the result is one new contiguous tensor.
    """
    c, h, w = check_input_shape(input_shape)
    if images.dim() != 4:
        raise DatasetError(f"Expected a batch of images (N, C, H, W), got shape {tuple(images.shape)}.")
    out = torch.empty((images.shape[0], c, h, w), dtype=torch.float32)
    chunk_size = _images_per_chunk(images.shape[1:], (max(c, images.shape[1]), h, w))
    for start in range(0, images.shape[0], chunk_size):
        chunk = adapt_batch(images[start : start + chunk_size], c, h, w)
        out[start : start + chunk.shape[0]] = chunk
    return out


def channel_stats(images: torch.Tensor) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-channel mean and standard deviation of (N, C, H, W) float images.

    Running sums are kept in float64 so large sets do not lose precision. A channel
    that is constant gets std 1 (dividing by ~0 would blow the inputs up).
    """
    if images.shape[0] == 0:
        raise DatasetError("Cannot compute normalisation statistics of an empty image set.")
    channels = images.shape[1]
    total = torch.zeros(channels, dtype=torch.float64)
    total_sq = torch.zeros(channels, dtype=torch.float64)
    for chunk in images.split(_images_per_chunk(images.shape[1:])):
        # torch sums a chunk pairwise, accurately in float32; chunks add up in float64
        total += chunk.sum(dim=(0, 2, 3)).to(torch.float64)
        total_sq += chunk.square().sum(dim=(0, 2, 3)).to(torch.float64)
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    std = (total_sq / count - mean.square()).clamp_min(0).sqrt()
    std = torch.where(std < 1e-6, torch.ones_like(std), std)
    return tuple(mean.tolist()), tuple(std.tolist())


def normalise_(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(x - mean) / std per channel, in place; returns `images`."""
    if len(mean) != images.shape[1] or len(std) != images.shape[1]:
        raise DatasetError(
            f"Normalisation has {len(mean)} channel(s) but the images have {images.shape[1]}."
        )
    m = torch.tensor(mean, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=images.dtype, device=images.device).view(1, -1, 1, 1)
    return images.sub_(m).div_(s)


def pil_channels(mode: str) -> int:
    """Channels an image of PIL `mode` contributes: 1 (grey) or 3 (colour)."""
    return 1 if mode in GREY_PIL_MODES else 3


def pil_to_tensor(image: Any) -> torch.Tensor:
    """A PIL image -> (C, H, W) tensor, C 1 or 3; uint8, or float 0..1 for deep images.

    Alpha is dropped (as torchvision's ImageFolder does), palettes are
    expanded, 16-bit and float greys are scaled to 0..1.
    """
    mode = image.mode
    if mode in ("1", "L", "LA", "La"):
        array = np.asarray(image.convert("L"))
    elif mode in GREY_PIL_MODES:  # I, I;16*, F: more than 8 bits per pixel
        array = np.asarray(image, dtype=np.float32)
        peak = 65535.0 if (image.mode.startswith("I;16") or array.max(initial=0) > 255) else 255.0
        array = np.clip(array / peak, 0.0, 1.0)
    else:
        array = np.asarray(image.convert("RGB"))
    tensor = torch.from_numpy(np.array(array, copy=True))
    if tensor.dim() == 2:
        return tensor.unsqueeze(0)
    return tensor.permute(2, 0, 1).contiguous()


def _as_batches(images: Any) -> list[torch.Tensor]:
    """Split what `preprocess_images` accepts into (N, C, H, W) batches."""
    if isinstance(images, (list, tuple)):
        batches: list[torch.Tensor] = []
        for item in images:
            batches.extend(_as_batches(item))
        return batches
    if hasattr(images, "mode") and hasattr(images, "convert"):  # a PIL image
        return [pil_to_tensor(images).unsqueeze(0)]
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise DatasetError(f"Cannot read images from a {type(images).__name__}; give PIL images or tensors.")
    if images.dim() == 2:  # one grey image (H, W)
        return [images.unsqueeze(0).unsqueeze(0)]
    if images.dim() == 3:  # one image (C, H, W)
        return [images.unsqueeze(0)]
    if images.dim() == 4:
        return [images]
    raise DatasetError(f"Images of shape {tuple(images.shape)} are not (H, W), (C, H, W) or (N, C, H, W).")


def preprocess_images(
    images: Any,
    input_shape: Sequence[int],
    mean: Sequence[float],
    std: Sequence[float],
) -> torch.Tensor:
    """Prepare user images for a trained model, exactly as its training data.

    `images` is a PIL image, a list of PIL images (sizes may differ), or a
    channels-first uint8/float tensor or array: (H, W), (C, H, W) or
    (N, C, H, W). Returns float32 (N, C, H, W) resized, channel-adapted and
    normalised with the training `mean` and `std`.
    """
    batches = [adapt_images(batch, input_shape) for batch in _as_batches(images)]
    if not batches:
        raise DatasetError("No images were given to preprocess.")
    return normalise_(torch.cat(batches), mean, std)
