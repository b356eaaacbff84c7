"""Pictures of the whole network: PNG (for slides and chats) or SVG (for papers).

Both show every card and edge on the canvas colour, without the grid and
without the selection highlight. They are drawn in memory, then written
atomically (engine.fileio): a failed export never leaves half a picture where
an older one was, and fails as one line naming the file and the cause.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QBuffer, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter, QPaintDevice
from PySide6.QtSvg import QSvgGenerator

from engine.fileio import atomic_write_bytes

from .scene import CanvasScene

MARGIN = 24.0  # scene units of canvas colour around the network
RENDER_HINTS = (QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                | QPainter.RenderHint.SmoothPixmapTransform)


def render_png(scene: CanvasScene, path: str | os.PathLike, scale: float = 2.0) -> Path:
    """Writes the network to ``path`` as a PNG, ``scale`` pixels per scene unit (2 = crisp on HiDPI)."""
    source = picture_rect(scene)
    size = QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    _paint(scene, image, source, QRectF(0, 0, size.width(), size.height()))
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):  # a null image: too large to allocate
        raise OSError(f"the picture is too large to draw ({size.width()}×{size.height()} pixels)")
    return atomic_write_bytes(path, bytes(buffer.data()))


def render_svg(scene: CanvasScene, path: str | os.PathLike) -> Path:
    """Writes the network to ``path`` as an SVG, one SVG unit per scene unit."""
    source = picture_rect(scene)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(source.size().toSize())
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(scene.document.project.name)
    generator.setDescription("A network drawn with ConvCanvas")
    _paint(scene, generator, source, QRectF(0, 0, source.width(), source.height()))
    return atomic_write_bytes(path, bytes(buffer.data()))


def render_image(scene: CanvasScene, size: QSize) -> QImage:
    """The whole network fitted into an image of ``size`` pixels (a thumbnail), on the canvas colour."""
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    _paint(scene, image, picture_rect(scene), QRectF(0, 0, size.width(), size.height()))
    return image


def picture_rect(scene: CanvasScene) -> QRectF:
    """The scene area a picture shows: every item, plus a margin."""
    return scene.itemsBoundingRect().adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)


def _paint(scene: CanvasScene, device: QPaintDevice, source: QRectF, target: QRectF) -> None:
    painter = QPainter(device)
    try:
        painter.setRenderHints(RENDER_HINTS)
        painter.fillRect(target, scene.canvas_style.colours.canvas)
        with _without_selection(scene):
            scene.render(painter, target, source, Qt.AspectRatioMode.KeepAspectRatio)
    finally:
        painter.end()


@contextmanager
def _without_selection(scene: CanvasScene) -> Iterator[None]:
    """Clears the selection for the picture and puts it back, telling no one (it ends as it began)."""
    selected = scene.selectedItems()
    scene.blockSignals(True)
    try:
        for item in selected:
            item.setSelected(False)
        yield
    finally:
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(False)

