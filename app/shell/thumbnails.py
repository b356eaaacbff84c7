"""Small pictures of preset networks for the start page, drawn by the export-picture code.

Drawing ResNet-50's cards takes a while, so each picture is made once per
preset file, theme and size, and kept in memory and in the user's cache folder.
"""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

from PySide6.QtCore import QSize, QStandardPaths
from PySide6.QtGui import QImage, QPalette
from PySide6.QtWidgets import QApplication

from ..canvas.picture import render_image
from ..canvas.scene import CanvasScene
from ..document import Document

THUMBNAIL_SIZE = QSize(200, 120)
SCALE = 2  # pixels per logical pixel at least: crisp at 2× (more on denser screens)
DRAWING_VERSION = 2  # raise when pictures are drawn differently: older cached ones are then ignored

_memory: dict[str, QImage] = {}


def cache_folder() -> Path:
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation)) / "thumbnails"


def _key(path: Path, size: QSize, scale: int) -> str:
    dark = QApplication.palette().color(QPalette.ColorRole.Window).lightness() < 128
    digest = hashlib.sha1(path.read_bytes()).hexdigest()[:16]
    return f"{path.stem}-{digest}-{DRAWING_VERSION}-{'dark' if dark else 'light'}-{size.width()}x{size.height()}@{scale}"


def preset_thumbnail(path: Path, size: QSize = THUMBNAIL_SIZE, ratio: float = 1.0) -> QImage:
    """The picture of the network in ``path`` (a project file), ``size`` logical pixels, for a screen of
    device pixel ratio ``ratio``."""
    scale = max(SCALE, math.ceil(ratio))
    key = _key(path, size, scale)
    if key in _memory:
        return _memory[key]
    cached = cache_folder() / f"{key}.png"
    image = QImage(str(cached)) if cached.is_file() else QImage()
    if image.isNull():
        image = _draw(path, size, scale)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            image.save(str(cached), "PNG")
        except OSError:
            pass  # a read-only cache costs only the time to draw again
    image.setDevicePixelRatio(scale)
    _memory[key] = image
    return image


def _draw(path: Path, size: QSize, scale: int) -> QImage:
    document = Document()
    document.load(path, as_new=True)
    # Laid out to the picture's shape: a long chain stored in one row would be a thin strip.
    document.tidy_layout(document.layout_direction, aspect=size.width() / size.height())
    scene = CanvasScene(document)
    try:
        return render_image(scene, size * scale)
    finally:
        scene.deleteLater()
        document.deleteLater()
