"""NumPy pixels to Qt pictures, shared by the gallery and the Grad-CAM panel."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap


def to_qimage(image: np.ndarray) -> QImage:
    """(H, W) grey or (H, W, 3) RGB uint8 → a QImage owning a copy of the pixels."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = image.shape[:2]
    if image.ndim == 2:
        return QImage(image.data, width, height, width, QImage.Format.Format_Grayscale8).copy()
    return QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def fitted_pixmap(image: QImage, logical: QSize, ratio: float) -> QPixmap:
    """``image`` fitted into ``logical`` pixels (aspect kept), made at ``ratio`` device pixels per logical one.

    Drawn at logical size and scaled up by the screen, a picture is blurred at 2×. Growing, each of the
    image's pixels stays a crisp square (each is a value the network saw); shrinking, it is smoothed."""
    device = QSize(max(1, round(logical.width() * ratio)), max(1, round(logical.height() * ratio)))
    growing = image.width() < device.width() and image.height() < device.height()
    mode = Qt.TransformationMode.FastTransformation if growing else Qt.TransformationMode.SmoothTransformation
    pixmap = QPixmap.fromImage(image.scaled(device, Qt.AspectRatioMode.KeepAspectRatio, mode))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap
