"""Colours shared by the training dashboards, taken from the widget palette.

pyqtgraph draws on black by default; the dashboards follow the application's
light or dark palette instead so they sit naturally next to the other docks.
pyqtgraph keeps the colours it is given, so each dashboard re-applies them
when its palette changes (a live View ▸ Theme switch): see `is_palette_change`.
"""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QColor, QFontMetricsF, QPalette
from PySide6.QtWidgets import QGraphicsItem, QWidget

# Curve colours keep >= 3:1 against both themes' plot background (WCAG non-text contrast).
TRAIN_COLOUR = QColor("#3382D6")  # blue
VALIDATION_COLOUR = QColor("#D06A00")  # orange
ERROR_COLOUR = QColor(214, 39, 40)  # red: misclassified, failures
GOOD_COLOUR = QColor(44, 160, 44)  # green: correct predictions

#: Activations are drawn with this colour map; the engine already scales
#: every layer to 0..255, so the levels are fixed (see FIXED_LEVELS).
ACTIVATION_COLOUR_MAP = "viridis"
FIXED_LEVELS = (0, 255)


def is_palette_change(event: QEvent) -> bool:
    """Whether a widget's ``changeEvent`` reports new colours (its palette has been updated by then)."""
    return event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


def background(widget: QWidget) -> QColor:
    return widget.palette().color(QPalette.ColorRole.Base)


def foreground(widget: QWidget) -> QColor:
    return widget.palette().color(QPalette.ColorRole.Text)


def style_graphics_widget(view: pg.GraphicsView, owner: QWidget) -> None:
    """Background and default text colour of a pyqtgraph view, from ``owner``'s palette."""
    view.setBackground(background(owner))


def style_plot(plot: pg.PlotItem, owner: QWidget) -> None:
    """Axis and label colours of ``plot``, from ``owner``'s palette."""
    text = foreground(owner)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
        # No finest tick level: its dense grid lines made every repaint ~4× slower (live plots).
        axis.setStyle(maxTickLevel=1)
        cache_axis(axis)
    plot.titleLabel.setAttr("color", text.name())
    plot.showGrid(x=True, y=True, alpha=0.15)


def cache_axis(axis: pg.AxisItem) -> None:
    """Keeps ``axis`` (its ticks, labels and grid lines) as a pixmap between its own changes.

    An axis with grid lines spans the whole plot, so every new point of a live curve repainted it,
    replaying all its tick text: ~40 % of a curves repaint (7-8 ms -> 4.4 ms of the GUI thread
    measured here). pyqtgraph calls ``update()`` whenever an axis changes, which renews the pixmap.
    """
    axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class ReadableValueAxis(pg.AxisItem):
    """A value (y) axis whose labels never run into each other: pyqtgraph puts at least three labels
    on an axis however short, and in a low dock (or at 2×) "0.2 0.4 0.6 0.8" were drawn over each other.
    Where the labels would crowd, the step grows (0.2 → 0.5 → 1 …) and the minor ticks go."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float):  # noqa: N802,N803 - pyqtgraph's names
        levels = super().tickSpacing(minVal, maxVal, size)
        span = abs(maxVal - minVal)
        if not levels or span == 0 or size <= 0:
            return levels
        least = 1.1 * QFontMetricsF(self.style["tickFont"] or self.font()).height()  # px between labels
        major = levels[0][0]
        if major * size / span >= least:
            return levels
        while major * size / span < least and major < span:
            major = next_round_step(major)
        return [(major, 0)]


def next_round_step(step: float) -> float:
    """The next of 1, 2, 5, 10, 20, 50 … above ``step``."""
    power = 10.0 ** math.floor(math.log10(step))
    mantissa = step / power
    return (2.0 if mantissa < 1.5 else 5.0 if mantissa < 3.5 else 10.0) * power


def dimmed(colour: QColor, alpha: int = 70) -> QColor:
    faded = QColor(colour)
    faded.setAlpha(alpha)
    return faded


def colour_map(name: str = ACTIVATION_COLOUR_MAP) -> pg.ColorMap:
    return pg.colormap.get(name)
