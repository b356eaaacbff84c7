"""Window/level: which band of a high-bit-depth image's values becomes the 0..1 the network sees.

A CT slice holds Hounsfield units from about -1000 (air) to +3000 (dense bone); a screen, and a
network trained on a few thousand images, sees best a band of them. The band is a centre and a
width (DICOM's Window Center / Window Width): values below ``centre - width/2`` become 0, above
``centre + width/2`` become 1, linear between. The Input node holds the choice (``window``,
``window_centre``, ``window_width``), so it is saved in the project and travels in checkpoints;
training and ``predict`` read it from there. Normalisation (mean/std) is computed after windowing.

No torch; numpy only when a window is applied (the block catalogue imports the choices at start-up).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

FROM_FILE = "file"
MANUAL = "manual"
#: (centre, width) in Hounsfield units, the usual radiology presets
PRESETS: dict[str, tuple[float, float]] = {
    "lung": (-600.0, 1500.0),
    "mediastinum": (50.0, 350.0),
    "soft-tissue": (40.0, 400.0),
    "bone": (400.0, 1800.0),
    "brain": (40.0, 80.0),
}
WINDOW_CHOICES: tuple[str, ...] = (FROM_FILE, *PRESETS, MANUAL)


@dataclass(frozen=True)
class Window:
    """The Input node's window. ``mode``: ``file`` (the file's own window; a file without one keeps its
    full range), a preset name, or ``manual`` (``centre``/``width`` as given)."""

    mode: str = FROM_FILE
    centre: float = 40.0
    width: float = 400.0

    @property
    def from_file(self) -> bool:
        return self.mode == FROM_FILE

    def band(self, file_window: tuple[float, float] | None) -> tuple[float, float] | None:
        """(centre, width) to apply, or None for "keep the file's full range"."""
        if self.mode == FROM_FILE:
            return file_window
        if self.mode == MANUAL:
            return self.centre, self.width
        return PRESETS[self.mode]

    def describe(self) -> str:
        if self.mode == FROM_FILE:
            return "the file's own window"
        centre, width = self.band(None) or (0.0, 0.0)
        return f"{self.mode} window (centre {centre:g}, width {width:g})"


def window_of_params(params: Mapping[str, Any]) -> Window:
    """The window of an Input node's params (old projects have none: the file's own)."""
    return Window(str(params.get("window", FROM_FILE)), float(params.get("window_centre", 40.0)),
                  float(params.get("window_width", 400.0)))


def apply_window(values: np.ndarray, centre: float, width: float) -> np.ndarray:
    """Values (any shape) → float32 on 0..1 through the band ``centre ± width/2``."""
    import numpy as np

    width = max(float(width), 1e-6)
    low = float(centre) - width / 2
    return np.clip((np.asarray(values, dtype=np.float32) - low) / width, 0.0, 1.0).astype(np.float32, copy=False)


def apply_range(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Values → 0..1 mapping ``low`` to 0 and ``high`` to 1 (a file's full range)."""
    return apply_window(values, (low + high) / 2, high - low)
