"""The receptive field of the selected node: one unit's window drawn on the probe image.

The engine computes every node's field from the graph (``engine.insight.receptive_field``); this
picture shows the middle unit's window as a rectangle on the image the feature maps are probed
with, and says its size and the spacing (jump) between neighbouring units' windows.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from . import plot_style
from .pictures import to_qimage

#: Logical px of the picture's side.
PICTURE_SIDE = 112


class ReceptiveFieldPicture(QWidget):
    """``show_field(pixels, box, text)`` draws ``box`` (top, left, bottom, right) on ``pixels``; ``clear``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box: tuple[int, int, int, int] | None = None
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(QSize(PICTURE_SIDE, PICTURE_SIDE))
        self.picture.setAccessibleName("Receptive field on the probe image")
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setMaximumWidth(PICTURE_SIDE + 40)
        title = QLabel("Receptive field")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.picture)
        layout.addWidget(self.caption, 1)
        self.setToolTip("The input pixels one unit in the middle of this layer's output can see: the layer's "
                        "receptive field. It grows with each window layer and jumps with each stride.")

    def show_field(self, pixels: np.ndarray, box: tuple[int, int, int, int], text: str) -> None:
        self.box = box
        image = to_qimage(pixels)
        ratio = self.devicePixelRatioF()
        scale = max(1, int(PICTURE_SIDE * ratio // max(image.width(), image.height())))
        pixmap = QPixmap.fromImage(image.scaled(image.width() * scale, image.height() * scale,
                                                Qt.AspectRatioMode.IgnoreAspectRatio,
                                                Qt.TransformationMode.FastTransformation))
        painter = QPainter(pixmap)
        pen = QPen(plot_style.VALIDATION_COLOUR)
        pen.setWidthF(max(2.0, scale / 3))
        painter.setPen(pen)
        top, left, bottom, right = box
        painter.drawRect(QRectF(left * scale, top * scale, (right - left + 1) * scale, (bottom - top + 1) * scale))
        painter.end()
        pixmap.setDevicePixelRatio(ratio)
        self.picture.setPixmap(pixmap)
        self.caption.setText(text)

    def clear(self, text: str = "") -> None:
        self.box = None
        self.picture.clear()
        self.caption.setText(text)
