"""Small pictures of preset networks for the start page, drawn by the export-picture code.

Drawing ResNet-50's cards takes a while, so each picture is made once per
preset file, theme and size, and kept in memory and in the user's cache folder.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication

from ..canvas.picture import render_image
from ..canvas.scene import CanvasScene
from ..document import Document

THUMBNAIL_SIZE = QSize(200, 120)
SCALE = 2  # pixels per logical pixel: crisp on HiDPI screens
DRAWING_VERSION = 2  # raise when pictures are drawn differently: older cached ones are then ignored

_memory: dict[str, QImage] = {}


def cache_folder() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)) / "thumbnails"


def _key(path: Path, size: QSize) -> str:
    dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:16]
    return f"{path.stem}-{digest}-{DRAWING_VERSION}-{'dark' if dark else 'light'}-{size.width()}x{size.height()}"


def preset_thumbnail(path: Path, size: QSize = THUMBNAIL_SIZE) -> QImage:
    """The picture of the network in ``path`` (a project file), ``size`` logical pixels."""
    key = _key(path, size)
    if key in _memory:
        return _memory[key]
    cached = cache_folder() / f"{key}.png"
    image = QImage(str(cached)) if cached.is_file() else QImage()
    if image.isNull():
        image = _draw(path, size)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            image.save(str(cached), "PNG")
        except OSError:
            pass  # a read-only cache costs only the time to draw again
    image.setDevicePixelRatio(SCALE)
    _memory[key] = image
    return image


def _draw(path: Path, size: QSize) -> QImage:
    document = Document()
    document.load(path, as_new=True)
    # Laid out to the picture's shape: a long chain stored in one row would be a thin strip.
    document.tidy_layout(document.layout_direction, aspect=size.width() / size.height())
    scene = CanvasScene(document)
    try:
        return render_image(scene, size * SCALE)
    finally:
        scene.deleteLater()
        document.deleteLater()
