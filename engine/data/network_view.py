"""What the network will receive: one sample as stored, after the Input's adaptation (size, channels,
normalisation), and augmented as training augments it, with its mask or boxes moved along."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .augment import Augment
from .sample_index import SampleIndex


@dataclass
class Received:
    before: np.ndarray  # (H, W, C) uint8 as stored
    before_target: np.ndarray | None  # mask (H, W) or boxes (M, 5) as stored
    adapted: np.ndarray  # (C, h, w) float32 0..1: resized and converted to the Input's channels
    normalised: np.ndarray  # (C, h, w) float32: what the first layer sees
    target: np.ndarray | None  # the target at the Input's size (masks resized, boxes are fractions)
    augmented: list[tuple[np.ndarray, np.ndarray | None]]  # (C, h, w) float32 0..1 and its moved target

    def describe(self, mean: Sequence[float], std: Sequence[float]) -> str:
        h, w, c = self.before.shape
        C, H, W = self.adapted.shape
        return (f"stored {h}×{w}, {c} channel(s) → Input {H}×{W}, {C} channel(s); normalised with mean "
                + ", ".join(f"{m:.3f}" for m in mean) + " and std " + ", ".join(f"{s:.3f}" for s in std)
                + f": values {self.normalised.min():.2f} to {self.normalised.max():.2f}")


def what_the_network_receives(samples: SampleIndex, index: int, input_shape: Sequence[int],
                              mean: Sequence[float], std: Sequence[float], augment: Augment | None,
                              seed: int, count: int = 6) -> Received:
    """``count`` augmented versions drawn from ``seed`` (a new seed draws new ones). Augmentation runs on the
    normalised image, as in training, and is shown de-normalised; masks and boxes move with the pixels."""
    import torch

    from .adapt import adapt_images, check_input_shape
    from .augment import paired_boxes
    from .mask_split import resize_masks

    shape = check_input_shape(input_shape)
    before = samples.image(index)
    raw_target = samples.target_of(index)
    adapted = adapt_images(torch.from_numpy(before).permute(2, 0, 1).unsqueeze(0), shape)
    m = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    normalised = (adapted - m) / s
    target = None
    if samples.target == "mask" and raw_target is not None:
        target = resize_masks(torch.from_numpy(raw_target).unsqueeze(0), shape[1:])[0]
    elif samples.target == "boxes" and raw_target is not None:
        target = torch.as_tensor(raw_target, dtype=torch.float32).reshape(-1, 5)
    augmented = []
    if augment is not None and count > 0:
        generator = torch.Generator().manual_seed(int(seed))
        batch = normalised.expand(count, -1, -1, -1).contiguous()
        if target is not None and samples.target == "mask":
            images, targets = augment.paired(batch, target.expand(count, -1, -1).contiguous(), generator)
        elif target is not None:
            images, targets = paired_boxes(augment, batch, target.expand(count, -1, -1).contiguous(), generator)
        else:
            images, targets = augment(batch, generator), None
        images = (images * s + m).clamp(0, 1)
        for i in range(count):
            moved = None
            if targets is not None:
                moved = targets[i].numpy()
                if samples.target == "boxes":
                    moved = moved[moved[:, 0] >= 0]
            augmented.append((images[i].numpy(), moved))
    return Received(before, raw_target, adapted[0].numpy(), normalised[0].numpy(),
                    None if target is None else target.numpy(), augmented)
