"""Sizes, fonts and colours of the canvas, in one place.

Category accents are fixed (they identify the block family and carry white
text in both themes); everything else comes from the widget's QPalette, so
the canvas follows the light or dark theme the window applies.
"""
from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette

from engine.layout import CARD_HEIGHT, CARD_WIDTH

from ..blocks.room import FRAME_PAD, FRAME_TITLE_H  # noqa: F401  (the frame of an expanded block)

CARD_W = float(CARD_WIDTH)
CARD_H = float(CARD_HEIGHT)
HEADER_H = 22.0
RADIUS = 6.0
PAD = 9.0
PORT_RADIUS = 5.0
PORT_HIT_RADIUS = 11.0
BADGE_RADIUS = 8.0
SNAP = 10.0
GRID = 20.0
STACK_OFFSET = 4.0      # a collapsed block is drawn as a small stack of cards

CATEGORY_ACCENTS: dict[str, QColor] = {
    "convolution": QColor("#2F6CC9"),
    "activation": QColor("#1B8754"),
    "pooling": QColor("#7A4CC2"),
    "dense": QColor("#BF3D78"),
    "normalisation": QColor("#0E8181"),
    "structure": QColor("#56657A"),
    "composite": QColor("#3E4C8A"),
}
FALLBACK_ACCENT = QColor("#56657A")
ERROR = QColor("#D93A3A")
WARNING = QColor("#D98A00")
VALID_TARGET = QColor("#23A55A")
FROZEN = QColor("#6F8CAB")  # cool blue-grey: frozen cards (their weights do not train)


def accent(category: str) -> QColor:
    return CATEGORY_ACCENTS.get(category, FALLBACK_ACCENT)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """``a`` moved ``amount`` (0..1) of the way towards ``b``."""
    return QColor.fromRgbF(*(x + (y - x) * amount for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def frozen_colours(colours: Colours) -> tuple[QColor, QColor]:
    """(border, card fill) of a frozen card: a blue-grey dashed edge and a faint frost on the card."""
    border = FROZEN.lighter(135) if colours.dark else FROZEN
    return border, mix(colours.card, FROZEN, 0.16 if colours.dark else 0.10)


@dataclass(frozen=True)
class Colours:
    """The palette-derived colours one paint pass needs."""

    canvas: QColor
    grid: QColor
    card: QColor
    text: QColor
    muted: QColor
    border: QColor
    edge: QColor
    selection: QColor
    shadow: QColor
    dark: bool

    @staticmethod
    def from_palette(palette: QPalette) -> Colours:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        window = palette.color(QPalette.ColorRole.Window)
        dark = base.lightnessF() < 0.5
        return Colours(
            canvas=mix(window, text, 0.03) if dark else mix(window, text, 0.015),
            grid=mix(window, text, 0.22 if dark else 0.2),
            card=mix(base, text, 0.04) if dark else base,
            text=text,
            muted=mix(text, base, 0.42),
            border=mix(base, text, 0.22 if dark else 0.2),
            edge=mix(base, text, 0.5),
            selection=palette.color(QPalette.ColorRole.Highlight),
            shadow=QColor(0, 0, 0, 90 if dark else 40),
            dark=dark,
        )


def fonts(base: QFont) -> tuple[QFont, QFont, QFont]:
    """(name, body, small) fonts, sized from the application font in points."""
    points = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
    name = QFont(base)
    name.setPointSizeF(points * 0.92)
    name.setBold(True)
    body = QFont(base)
    body.setPointSizeF(points * 0.86)
    small = QFont(base)
    small.setPointSizeF(points * 0.78)
    return name, body, small


class CanvasStyle:
    """Colours, fonts and the snapping switch shared by every item of one scene."""

    def __init__(self, palette: QPalette, font: QFont) -> None:
        self.snapping = False
        self.update(palette, font)

    def update(self, palette: QPalette, font: QFont) -> None:
        self.colours = Colours.from_palette(palette)
        self.name_font, self.body_font, self.small_font = fonts(font)
        self.title_font = QFont(self.body_font)
        self.title_font.setWeight(QFont.Weight.DemiBold)
