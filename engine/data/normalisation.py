"""The Input node's own normalisation (mean/std per channel, from the Data view) applied to loaded data."""
from __future__ import annotations

from collections.abc import Sequence

from .datasplit import DataSplit
from .errors import DatasetError


def renormalise(data: DataSplit, mean: Sequence[float], std: Sequence[float]) -> DataSplit:
    """Makes ``data`` normalised with ``mean``/``std`` instead of the statistics it was loaded with, in place
    (held tensors are re-scaled; streamed sets normalise each image with the new values). The split's own
    ``mean``/``std`` follow, so the checkpoint tells ``predict`` the same."""
    import torch

    channels = data.input_shape[0]
    if len(mean) != channels or len(std) != channels:
        raise DatasetError(f"The Input's normalisation has {len(mean)} channel(s) but the Input takes {channels}: "
                           "compute it again in the Data view (Statistics), or clear the Input's Normalisation.")
    old_mean = torch.tensor(data.mean, dtype=torch.float32).view(1, -1, 1, 1)
    old_std = torch.tensor(data.std, dtype=torch.float32).view(1, -1, 1, 1)
    new_mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
    new_std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)
    for part in (data.train, data.val):
        images = getattr(part, "images", None)
        if isinstance(images, torch.Tensor) and images.dim() == 4:
            images.mul_(old_std).add_(old_mean).sub_(new_mean).div_(new_std)
        else:  # streamed: the dataset normalises each item as it is read
            dataset = getattr(part, "dataset", None)
            if dataset is None or not hasattr(dataset, "mean"):
                raise DatasetError(f"{data.source} cannot take its own normalisation; clear the Input's "
                                   "Normalisation.")
            dataset.mean, dataset.std = tuple(mean), tuple(std)
    data.mean, data.std = tuple(float(m) for m in mean), tuple(float(s) for s in std)
    data.notes.append("normalised with the Input's mean " + ", ".join(f"{m:.4f}" for m in mean)
                      + " and std " + ", ".join(f"{s:.4f}" for s in std))
    return data
