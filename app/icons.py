"""The app's hand-drawn SVG icons (resources/icons/), as crisp QIcons.

Each SVG is rendered once per size into the icon, so it stays sharp at any
device pixel ratio without relying on the SVG image-format plugin being
deployed.
"""
from __future__ import annotations

from functools import cache
from importlib.resources import files

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from engine.catalogue import CATEGORIES, CATEGORY_TITLES, block  # noqa: F401 - the widgets take the titles from here

# Logical sizes the widgets ask for, rendered at 1× and 2×.
_SIZES = (16, 20, 24, 32, 48, 64)


def svg_bytes(name: str) -> bytes:
    """The SVG text of ``resources/icons/<name>.svg``."""
    return (files("resources") / "icons" / f"{name}.svg").read_bytes()


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg``; raises FileNotFoundError if absent."""
    renderer = QSvgRenderer(QByteArray(svg_bytes(name)))
    if not renderer.isValid():
        raise ValueError(f"resources/icons/{name}.svg is not a valid SVG image")
    result = QIcon()
    for size in _SIZES:
        for scale in (1, 2):
            result.addPixmap(_render(renderer, size * scale))
    return result


def _render(renderer: QSvgRenderer, pixels: int) -> QPixmap:
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    return pixmap


def category_icon(category: str) -> QIcon:
    if category not in CATEGORIES:
        raise KeyError(f"unknown block category {category!r} (known: {', '.join(CATEGORIES)})")
    return icon(category)


def block_icon(type_id: str) -> QIcon:
    """A block's icon is its category's."""
    return category_icon(block(type_id).category)


def app_icon() -> QIcon:
    return icon("app")
