"""What a dataset holds, for the datasets that can be described without importing torch.

``catalog.dataset_info`` answers for every dataset but imports torch with the dataset modules;
the app shows the bundled set's details at once instead, while PyTorch still loads behind the
window (issue 19).
"""
from __future__ import annotations

import os

from .datasplit import DatasetInfo

#: Dataset specs answered here (the bundled set, described from its own small file).
WITHOUT_TORCH = ("digits",)


def describable_without_torch(spec: str | os.PathLike) -> bool:
    return not isinstance(spec, os.PathLike) and str(spec).strip().lower() in WITHOUT_TORCH


def info_without_torch(spec: str | os.PathLike) -> DatasetInfo | None:
    """The dataset's description if it needs no torch (see ``WITHOUT_TORCH``), else None."""
    if not describable_without_torch(spec):
        return None
    from .digits import digits_info

    return digits_info()
