"""What the network will receive: a sample as stored, after the Input's adaptation, and a strip of
augmented versions (re-drawn with a new seed on demand); a mask is overlaid (opacity slider) and boxes are
drawn, and both move with the augmentation."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget)

from engine.tasks.segmentation import PALETTE

from ..training.masks import DEFAULT_OPACITY, overlay
from ..training.pictures import fitted_pixmap, to_qimage

SIDE = 96  # logical px of the two large pictures
STRIP_SIDE = 64
STRIP_COUNT = 6
BOX_SCALE_MIN = 192  # boxes are drawn on a picture at least this large, so their lines stay thin


def unit_to_uint8(image: np.ndarray) -> np.ndarray:
    """(C, H, W) float 0..1 → (H, W) or (H, W, 3) uint8."""
    pixels = (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)
    return pixels[0] if pixels.shape[0] == 1 else np.moveaxis(pixels, 0, -1)


def picture_of(image: np.ndarray, target: np.ndarray | None, kind: str, opacity: float) -> QImage:
    """``image`` (H, W[, C]) uint8 with its mask blended in or its boxes (fractions) drawn on it."""
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if kind == "mask" and target is not None and target.shape == image.shape[:2]:
        return to_qimage(overlay(image, target, opacity, 255))
    qimage = to_qimage(image)
    if kind != "boxes" or target is None or not len(target):
        return qimage
    scale = max(1, int(np.ceil(BOX_SCALE_MIN / max(image.shape[:2]))))
    qimage = qimage.scaled(qimage.width() * scale, qimage.height() * scale).convertToFormat(
        QImage.Format.Format_RGB888)
    painter = QPainter(qimage)
    for row in np.asarray(target).reshape(-1, 5):
        colour = QColor(*PALETTE[(int(row[0]) + 1) % len(PALETTE)])
        painter.setPen(QPen(colour, 2))
        w, h = qimage.width(), qimage.height()
        painter.drawRect(QRectF(row[1] * w, row[2] * h, (row[3] - row[1]) * w, (row[4] - row[2]) * h))
    painter.end()
    return qimage


class ReceivedView(QWidget):
    """``show_received(received, kind, description)``; ``new_seed_requested`` asks for a new strip."""

    new_seed_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.received = None
        self.kind = "label"
        self.before = self._picture("Sample as stored", SIDE)
        self.after = self._picture("What the Input receives", SIDE)
        self.strip = [self._picture(f"Augmented version {i + 1}", STRIP_SIDE) for i in range(STRIP_COUNT)]
        self.description = QLabel("Pick a sample in the grid.")
        self.description.setWordWrap(True)
        self.new_seed = QPushButton("New augmentations")
        self.new_seed.setToolTip("Draw the augmented versions again with a new seed.")
        self.new_seed.clicked.connect(self.new_seed_requested)
        self.augment_note = QLabel()
        self.augment_note.setWordWrap(True)
        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setAccessibleName("Mask opacity")
        self.opacity.valueChanged.connect(lambda _value: self._redraw())
        self.opacity_label = QLabel("Mask &opacity")
        self.opacity_label.setBuddy(self.opacity)

        # Compact enough for a bottom dock at 720 px: the pictures in one row with the words beside them.
        big = QGridLayout()
        for column, (title, picture) in enumerate((("Stored", self.before), ("Input (adapted)", self.after))):
            big.addWidget(QLabel(title), 0, column)
            big.addWidget(picture, 1, column)
        side = QVBoxLayout()
        side.addWidget(self.description)
        side.addWidget(self.augment_note)
        side.addStretch(1)
        controls = QHBoxLayout()
        controls.addWidget(self.new_seed)
        controls.addWidget(self.opacity_label)
        controls.addWidget(self.opacity, 1)
        side.addLayout(controls)
        big.addLayout(side, 0, 2, 2, 1)
        big.setColumnStretch(2, 1)
        strip = QHBoxLayout()
        strip.addWidget(QLabel("Augmented\nas training\nwill do it:"))
        for picture in self.strip:
            strip.addWidget(picture)
        strip.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(big)
        layout.addLayout(strip)
        layout.addStretch(1)
        self._show_opacity()

    @staticmethod
    def _picture(name: str, side: int) -> QLabel:
        picture = QLabel()
        picture.setAccessibleName(name)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture.setFixedSize(side, side)
        picture.setFrameShape(QLabel.Shape.StyledPanel)
        return picture

    def show_received(self, received, kind: str, description: str, augment_note: str = "") -> None:
        self.received, self.kind = received, kind
        self.description.setText(description)
        self.augment_note.setText(augment_note)
        self.augment_note.setVisible(bool(augment_note))
        self._show_opacity()
        self._redraw()

    def _show_opacity(self) -> None:
        for widget in (self.opacity, self.opacity_label):
            widget.setVisible(self.kind == "mask")

    def pictures(self) -> dict[str, QImage]:
        """What each picture shows, at the data's size (tests, screenshots)."""
        received = self.received
        if received is None:
            return {}
        opacity = self.opacity.value() / 100
        shown = {"before": picture_of(received.before, received.before_target, self.kind, opacity),
                 "after": picture_of(unit_to_uint8(received.adapted), received.target, self.kind, opacity)}
        for i, (image, target) in enumerate(received.augmented):
            shown[f"augmented {i}"] = picture_of(unit_to_uint8(image), target, self.kind, opacity)
        return shown

    def _redraw(self) -> None:
        ratio = self.devicePixelRatioF()
        shown = self.pictures()
        for key, label, side in (("before", self.before, SIDE), ("after", self.after, SIDE),
                                 *((f"augmented {i}", p, STRIP_SIDE) for i, p in enumerate(self.strip))):
            if key in shown:
                label.setPixmap(fitted_pixmap(shown[key], QSize(side - 4, side - 4), ratio))
            else:
                label.clear()
