"""The bundled Digits set: 1,797 grey 8×8 handwritten digits (resources/digits.npz).

``digits_info`` imports no torch: the app describes the bundled set while PyTorch still loads
behind its first window (issue 19); only ``load_digits`` needs torch.
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .datasplit import DatasetInfo
from .errors import DatasetError

if TYPE_CHECKING:
    from .assemble import LabelledImages

NAME = "digits"
FILE_NAME = "digits.npz"
#: pixel values are counts of "on" pixels in 4×4 blocks: 0..16
MAX_VALUE = 16.0


def digits_path() -> Path:
    """Where digits.npz is: the `resources` package, else the repository copy."""
    try:
        candidate = importlib.resources.files("resources") / FILE_NAME
        if candidate.is_file():
            return Path(str(candidate))
    except (ModuleNotFoundError, TypeError, NotADirectoryError):
        pass
    return Path(__file__).resolve().parents[2] / "resources" / FILE_NAME


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DatasetError(
            f"The bundled Digits file is missing: looked for {path}. "
            "Reinstall ConvCanvas (the file ships in its resources/ folder)."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in ("images", "labels", "class_names")}
    except (OSError, ValueError, KeyError) as error:
        raise DatasetError(
            f"The bundled Digits file {path} is unreadable ({error}). Reinstall ConvCanvas."
        ) from None
    if arrays["images"].ndim != 3 or arrays["images"].shape[0] != arrays["labels"].shape[0]:
        raise DatasetError(f"The bundled Digits file {path} has unexpected array shapes. Reinstall ConvCanvas.")
    return arrays


def load_digits() -> tuple[LabelledImages, list[str]]:
    """Images as float (N, 1, 8, 8) on 0..1 and labels, plus the class names."""
    import torch

    from .assemble import LabelledImages

    arrays = _read_npz(digits_path())
    images = torch.from_numpy(arrays["images"].astype(np.float32) / MAX_VALUE).unsqueeze(1)
    labels = torch.from_numpy(arrays["labels"].astype(np.int64))
    return LabelledImages(images, labels), [str(name) for name in arrays["class_names"]]


def digits_info() -> DatasetInfo:
    arrays = _read_npz(digits_path())
    n, h, w = arrays["images"].shape
    return DatasetInfo(
        name=NAME,
        class_names=tuple(str(name) for name in arrays["class_names"]),
        channels=1,
        native_size=(h, w),
        num_samples=n,
        class_counts=tuple(int(c) for c in np.bincount(arrays["labels"], minlength=len(arrays["class_names"]))),
        description=f"digits (bundled, {n:,} images)",
    )
