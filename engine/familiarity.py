"""Does an image look like the training images? A cheap out-of-distribution check for predictions.

A network answers for any image, even colour noise shown to a digits model,
often with high confidence. Each image, as the network sees it (resized,
converted and normalised like the training images), is summed up by a few
numbers per channel: its mean, its spread, and its roughness (the mean
difference between neighbouring pixels: noise is rough, drawings and photos
are smooth). Reference images (the validation set) give each number's usual
value and spread; an image with any number far outside them does not look
like the training images. It catches the plain mistakes (noise, an inverted
or blank image, another kind of picture), not every unfamiliar image.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

#: An image this many standard deviations from the reference on any number is unfamiliar
#: (validation images of the bundled digits stay under 3.1).
UNFAMILIAR_Z = 4.0
#: Reference images used at most (a few hundred describe a set well enough).
REFERENCE_IMAGES = 512
UNFAMILIAR_NOTE = ("This does not look like your training images, so the prediction may mean little "
                   "(its brightness, contrast or texture is unlike theirs).")


def image_summaries(images: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) images → (N, 3·C): per channel mean, standard deviation and roughness."""
    images = images.detach().float()
    flat = images.flatten(2)
    rough = torch.zeros(images.shape[:2])
    if images.shape[-2] > 1:
        rough += (images[..., 1:, :] - images[..., :-1, :]).abs().mean(dim=(2, 3))
    if images.shape[-1] > 1:
        rough += (images[..., :, 1:] - images[..., :, :-1]).abs().mean(dim=(2, 3))
    spread = flat.std(dim=2) if flat.shape[2] > 1 else torch.zeros(images.shape[:2])
    return torch.cat([flat.mean(dim=2), spread, rough], dim=1)


@dataclass(frozen=True)
class Familiarity:
    """What the reference images' summaries look like, and how far from them is unfamiliar."""

    mean: torch.Tensor
    std: torch.Tensor
    threshold: float

    @classmethod
    def from_images(cls, images: torch.Tensor) -> Familiarity:
        """From preprocessed reference images (N, C, H, W), N ≥ 2."""
        if images.dim() != 4 or images.shape[0] < 2:
            raise ValueError(f"need at least two (C, H, W) reference images, got shape {tuple(images.shape)}")
        summaries = image_summaries(images[:REFERENCE_IMAGES])
        mean = summaries.mean(dim=0)
        std = summaries.std(dim=0).clamp_min(1e-3)  # a number that never varies must not make every image odd
        widest = float(((summaries - mean) / std).abs().max())
        # The reference's own outliers are familiar: the bar is above the farthest of them.
        return cls(mean, std, max(UNFAMILIAR_Z, 1.1 * widest))

    def distance(self, image: torch.Tensor) -> float:
        """How unusual a preprocessed (C, H, W) image is: its largest |z| over the summaries."""
        return float(((image_summaries(image.unsqueeze(0))[0] - self.mean) / self.std).abs().max())

    def looks_familiar(self, image: torch.Tensor) -> bool:
        return self.distance(image) <= self.threshold
