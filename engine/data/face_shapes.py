"""Face-shapes: a bundled, offline set of identities for the embedding task, generated and seeded.

Each identity is a cartoon face with its own build: the face's width and height, skin and hair colours,
hair line, eye spacing, height, size and colour, eyebrow tilt, nose length, mouth width, height and
curve. Each image of an identity varies what a photograph varies: pose (shift, turn, scale), lighting
(brightness, a gradient from one side), the background and sensor noise. Everything is drawn at the
requested size from soft signed distances for a whole batch at once, and is fully determined by the seed.
"""
from __future__ import annotations

import math

import torch

from .datasplit import DatasetInfo

NAME = "face-shapes"
IMAGES_PER_IDENTITY = 10
DEFAULT_COUNT = 1500
"""Images (150 identities of 10)."""
MAX_COUNT = 50_000
MIN_COUNT = 4 * IMAGES_PER_IDENTITY
"""The split needs identities for both training and validation."""


def identity_names(count: int) -> list[str]:
    return [f"face_{index:04d}" for index in range(count // IMAGES_PER_IDENTITY)]


def _identities(count: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Each identity's build, one row per identity (``count`` identities)."""
    def uniform(low: float, high: float, *shape: int) -> torch.Tensor:
        return low + (high - low) * torch.rand(count, *shape, generator=g)

    return {
        "face_w": uniform(0.26, 0.40), "face_h": uniform(0.34, 0.46),
        "skin": uniform(0.25, 0.95, 3), "hair": uniform(0.0, 0.8, 3), "hair_line": uniform(-0.45, -0.05),
        "eye_gap": uniform(0.08, 0.20), "eye_y": uniform(-0.16, 0.02), "eye_r": uniform(0.03, 0.075),
        "eye": uniform(0.0, 0.6, 3), "brow_tilt": uniform(-0.5, 0.5),
        "nose": uniform(0.04, 0.16), "mouth_w": uniform(0.07, 0.22), "mouth_y": uniform(0.14, 0.30),
        "mouth_curve": uniform(-1.0, 1.0),
    }


def _soft(distance: torch.Tensor, pixel: float) -> torch.Tensor:
    """Coverage 0..1 of a signed distance (negative inside), with a one-pixel anti-aliased edge."""
    return (0.5 - distance / pixel).clamp(0.0, 1.0)


def generate_face_shapes(count: int, size: tuple[int, int], seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``count`` RGB images (count, 3, H, W) float32 on 0..1 and their identity labels (count,) int64:
    ``count // IMAGES_PER_IDENTITY`` identities, their images next to each other."""
    people = count // IMAGES_PER_IDENTITY
    if people < 1:
        raise ValueError(f"count must be >= {IMAGES_PER_IDENTITY}, not {count}")
    count = people * IMAGES_PER_IDENTITY
    height, width = size
    g = torch.Generator().manual_seed(int(seed))
    build = {key: value.repeat_interleave(IMAGES_PER_IDENTITY, 0) for key, value in _identities(people, g).items()}
    labels = torch.arange(people).repeat_interleave(IMAGES_PER_IDENTITY)

    def per_image(low: float, high: float, *shape: int) -> torch.Tensor:
        values = low + (high - low) * torch.rand(count, *shape, generator=g)
        return values.view(count, *shape, *(1,) * (2 - len(shape)))  # broadcast over H×W

    # Pixel centres in a frame of -0.5..0.5 (the shorter side), then the pose: the face's own coordinates.
    scale = min(height, width)
    ys = ((torch.arange(height, dtype=torch.float32) + 0.5 - height / 2) / scale).view(1, height, 1)
    xs = ((torch.arange(width, dtype=torch.float32) + 0.5 - width / 2) / scale).view(1, 1, width)
    turn, zoom = per_image(-0.25, 0.25), per_image(0.88, 1.12)
    shift_x, shift_y = per_image(-0.06, 0.06), per_image(-0.06, 0.06)
    cos, sin = turn.cos(), turn.sin()
    dx, dy = xs - shift_x, ys - shift_y
    u, v = (cos * dx + sin * dy) / zoom, (cos * dy - sin * dx) / zoom
    pixel = 1.0 / scale

    def b(key: str) -> torch.Tensor:
        value = build[key]
        return value.view(count, 1, 1) if value.dim() == 1 else value.view(count, -1, 1, 1)

    background = per_image(0.1, 0.9, 3).view(count, 3, 1, 1).expand(count, 3, height, width).clone()
    face = _soft((torch.sqrt((u / b("face_w")) ** 2 + (v / b("face_h")) ** 2) - 1) * b("face_w"), pixel)
    # Hair: the part of the face above the hair line (a fraction of the face's height), plus a rim.
    rim = torch.sqrt((u / (b("face_w") + 0.03)) ** 2 + ((v + 0.02) / (b("face_h") + 0.03)) ** 2) - 1
    hair = _soft(rim, pixel / 0.4)
    hair = hair * _soft(v - b("hair_line") * b("face_h") * 1.6, pixel)
    images = paint(background, face, b("skin"))
    images = paint(images, hair, b("hair"))
    for side in (-1.0, 1.0):
        eye_x = side * b("eye_gap")
        eye = _soft(torch.sqrt((u - eye_x) ** 2 + (v - b("eye_y")) ** 2) - b("eye_r"), pixel)
        images = paint(images, eye, b("eye"))
        # A brow: a thin slanted bar above each eye.
        along = u - eye_x
        brow_v = v - (b("eye_y") - b("eye_r") - 0.045) - side * b("brow_tilt") * along
        brow = _soft(torch.maximum(along.abs() - b("eye_r") * 1.3, brow_v.abs() - 0.012), pixel)
        images = paint(images, brow, b("hair") * 0.6)
    nose = _soft(torch.maximum(u.abs() - 0.018, (v - (b("eye_y") + 0.05 + b("nose") / 2)).abs() - b("nose") / 2), pixel)
    images = paint(images, nose, b("skin") * 0.7)
    mouth_v = v - b("mouth_y") - b("mouth_curve") * 0.12 * (u / b("mouth_w")) ** 2 * b("mouth_w")
    mouth = _soft(torch.maximum(u.abs() - b("mouth_w"), mouth_v.abs() - 0.02), pixel)
    images = paint(images, mouth, torch.tensor([0.55, 0.1, 0.15]).view(1, 3, 1, 1))
    # Lighting: an overall gain and a gradient across the image in a random direction.
    light = per_image(0.0, 2 * math.pi)
    gradient = (xs * light.cos() + ys * light.sin()) * per_image(0.0, 0.8)
    images = images * (per_image(0.7, 1.2) + gradient).unsqueeze(1)
    images += torch.randn(images.shape, generator=g) * 0.04
    return images.clamp_(0.0, 1.0), labels


def paint(images: torch.Tensor, coverage: torch.Tensor, colour: torch.Tensor) -> torch.Tensor:
    cover = coverage.unsqueeze(1)
    return images * (1 - cover) + colour * cover


def face_shapes_info(count: int = DEFAULT_COUNT) -> DatasetInfo:
    return DatasetInfo(name=NAME, class_names=tuple(identity_names(count)), channels=3, native_size=None,
                       num_samples=count // IMAGES_PER_IDENTITY * IMAGES_PER_IDENTITY,
                       description=f"face-shapes (generated, {count // IMAGES_PER_IDENTITY:,} identities of "
                                   f"{IMAGES_PER_IDENTITY} images)", target="identity")
