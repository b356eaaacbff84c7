"""Try an Image for a detection network: the user's image with the boxes found, their class and score.

The boxes come as fractions of the image, so they are drawn over the picture the user chose at its
own proportions; the score-threshold slider hides weaker boxes, as in the Boxes view (every box above
the probe's floor arrives, so moving it needs no new prediction).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .box_drawing import DrawnBoxes, boxes_pixmap
from .boxes import threshold_slider

PICTURE_SIDE = 200


class BoxPicture(QWidget):
    """``show_boxes(image, boxes, class_names)``, ``clear``; ``visible_boxes`` is what is drawn (tests)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: np.ndarray | None = None
        self._boxes: DrawnBoxes | None = None
        self._class_names: list[str] = []
        self.picture = QLabel()
        self.picture.setObjectName("predictedBoxes")
        self.picture.setAccessibleName("Boxes found in the image")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(PICTURE_SIDE, PICTURE_SIDE)
        self.picture.setFrameShape(QLabel.Shape.StyledPanel)
        self.threshold, slider_row = threshold_slider(self, self._render)
        self.found = QLabel()
        self.found.setObjectName("boxesFound")
        self.found.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(slider_row)
        layout.addWidget(self.found)

    def show_boxes(self, image: np.ndarray, boxes: DrawnBoxes, class_names: list[str]) -> None:
        """``image`` (H, W[, 3]) uint8 and its boxes (fractions of the image, with scores)."""
        self._image, self._boxes, self._class_names = image, boxes, list(class_names)
        self._render()

    def clear(self) -> None:
        self._image = self._boxes = None
        self.picture.clear()
        self.found.clear()

    def visible_boxes(self) -> DrawnBoxes | None:
        return None if self._boxes is None else self._boxes.above(self.threshold.value() / 100)

    def _render(self) -> None:
        shown = self.visible_boxes()
        if self._image is None or shown is None:
            self.picture.clear()
            return
        side = QSize(PICTURE_SIDE - 4, PICTURE_SIDE - 4)
        self.picture.setPixmap(boxes_pixmap(self._image, shown, self._class_names, side, self.devicePixelRatioF()))
        captions = shown.captions(self._class_names)
        self.found.setText(f"{len(captions)} box(es) scoring ≥ {self.threshold.value() / 100:.2f}"
                           + (": " + ", ".join(captions) if captions else "."))
        self.found.setAccessibleDescription(self.found.text())
