"""Try an Image for a segmentation network: the predicted mask over the user's image, and each class's share.

The mask comes at the image's own size (the engine scales the network's
mask back with nearest-neighbour sampling), so the overlay lines up with
the picture the user chose; the opacity slider blends image and mask as
in the Masks view.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from .masks import DEFAULT_OPACITY, overlay
from .pictures import fitted_pixmap, to_qimage

PICTURE_SIDE = 200


def shares_text(shares: list[tuple[str, float]]) -> str:
    """"background 71.2 %, circle 20.1 %, …": the classes found, largest first."""
    found = sorted((share for share in shares if share[1] > 0), key=lambda share: -share[1])
    return ", ".join(f"{name} {100 * share:.1f} %" for name, share in found)


class MaskPicture(QWidget):
    """``show_mask(image, mask, shares)``, ``clear``; ``displayed`` is what the picture shows (tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self.picture = QLabel()
        self.picture.setObjectName("predictedMask")
        self.picture.setAccessibleName("Predicted mask over the image")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(PICTURE_SIDE, PICTURE_SIDE)
        self.picture.setFrameShape(QLabel.Shape.StyledPanel)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setAccessibleName("Mask opacity")
        self.opacity.setToolTip("How strongly the mask covers the image (0 %: only the image, 100 %: only the mask).")
        self.opacity.valueChanged.connect(lambda _value: self._render())
        opacity_label = QLabel("Mask &opacity")
        opacity_label.setBuddy(self.opacity)
        slider_row = QHBoxLayout()
        slider_row.addWidget(opacity_label)
        slider_row.addWidget(self.opacity, 1)
        self.shares = QLabel()
        self.shares.setObjectName("maskShares")
        self.shares.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(slider_row)
        layout.addWidget(self.shares)

    def show_mask(self, image: np.ndarray, mask: np.ndarray, shares: list[tuple[str, float]]) -> None:
        """``image`` (H, W[, 3]) uint8 and ``mask`` (H, W) class indices, the same size."""
        self._image, self._mask = image, np.asarray(mask)
        self.shares.setText("Pixels: " + shares_text(shares))
        self.shares.setAccessibleDescription(self.shares.text())
        self._render()

    def clear(self) -> None:
        self._image = self._mask = None
        self.picture.clear()
        self.shares.clear()

    @property
    def displayed(self) -> np.ndarray | None:
        """The blended (H, W, 3) picture at the image's size, or None."""
        if self._image is None or self._mask is None:
            return None
        return overlay(self._image, self._mask, self.opacity.value() / 100)

    def _render(self) -> None:
        displayed = self.displayed
        if displayed is None:
            self.picture.clear()
            return
        self.picture.setPixmap(fitted_pixmap(to_qimage(displayed), QSize(PICTURE_SIDE - 4, PICTURE_SIDE - 4),
                                             self.devicePixelRatioF()))
