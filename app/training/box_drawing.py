"""Boxes drawn over a picture: each box outlined in its class's colour and labelled "circle 0.93".

The picture is fitted to the space first (crisp squares when it grows, as in the other views) and the
boxes are painted at that size, so outlines and labels stay thin and legible however small the image
is. Boxes are fractions of the image (x0, y0, x1, y1 in 0..1), as the detection task gives them. The
colours are the ones ``convcanvas predict`` writes into ``IMAGE.boxes.png``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPixmap

from engine.tasks.segmentation import PALETTE

from .pictures import fitted_pixmap, to_qimage


def box_colour(label: int) -> QColor:
    """Class ``label``'s colour (PALETTE[0] is the background's black, so classes start at 1)."""
    return QColor(*PALETTE[1 + int(label) % (len(PALETTE) - 1)])


@dataclass(frozen=True)
class DrawnBoxes:
    """Boxes to draw: ``boxes`` (B, 4) fractions of the image, ``labels`` (B,) and ``scores`` (B,) or None
    for true boxes (labelled with the class name only)."""

    boxes: np.ndarray
    labels: np.ndarray
    scores: np.ndarray | None = None

    @classmethod
    def empty(cls) -> DrawnBoxes:
        return cls(np.zeros((0, 4), np.float32), np.zeros(0, np.int64), np.zeros(0, np.float32))

    def __len__(self) -> int:
        return len(self.labels)

    def above(self, threshold: float) -> DrawnBoxes:
        """The boxes scoring at least ``threshold`` (all of them for true boxes)."""
        if self.scores is None:
            return self
        keep = self.scores >= threshold
        return DrawnBoxes(self.boxes[keep], self.labels[keep], self.scores[keep])

    def captions(self, class_names: Sequence[str]) -> list[str]:
        names = [class_names[label] if 0 <= label < len(class_names) else f"class {label}"
                 for label in self.labels.tolist()]
        if self.scores is None:
            return names
        return [f"{name} {score:.2f}" for name, score in zip(names, self.scores.tolist())]


def boxes_pixmap(image: np.ndarray, drawn: DrawnBoxes, class_names: Sequence[str], side: QSize, ratio: float,
                 *, dashed: bool = False) -> QPixmap:
    """``image`` ((H, W) or (H, W, 3) uint8) fitted into ``side`` with ``drawn``'s boxes painted over it;
    ``dashed`` outlines mark true boxes apart from predicted ones."""
    pixmap = fitted_pixmap(to_qimage(image), side, ratio)
    if not len(drawn):
        return pixmap
    size = pixmap.deviceIndependentSize()
    width, height = size.width(), size.height()
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = painter.font()
    font.setPointSizeF(max(6.0, font.pointSizeF() * 0.8))
    painter.setFont(font)
    metrics = QFontMetricsF(font)
    # The best box last, so its label is on top where labels overlap.
    for (x0, y0, x1, y1), label, caption in reversed(list(zip(drawn.boxes.tolist(), drawn.labels.tolist(),
                                                              drawn.captions(class_names)))):
        colour = box_colour(label)
        pen = QPen(colour, 2)
        pen.setStyle(Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = QRectF(x0 * width, y0 * height, max(1.0, (x1 - x0) * width), max(1.0, (y1 - y0) * height))
        painter.drawRect(rect)
        text = QRectF(0, 0, metrics.horizontalAdvance(caption) + 4, metrics.height())
        text.moveTopLeft(rect.topLeft())
        if text.top() - text.height() >= 0:  # above the box where there is room, else inside it
            text.moveBottom(rect.top())
        text.moveLeft(min(text.left(), max(0.0, width - text.width())))
        painter.fillRect(text, colour)
        painter.setPen(Qt.GlobalColor.black if colour.lightnessF() > 0.5 else Qt.GlobalColor.white)
        painter.drawText(text, Qt.AlignmentFlag.AlignCenter, caption)
    painter.end()
    return pixmap
