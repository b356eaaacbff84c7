"""Drawings of the block explainer: curves (pyqtgraph, in the theme's colours) and channel shuffle's
permutation (boxes and lines)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..training import plot_style

MAIN_COLOUR, OTHER_COLOUR = plot_style.TRAIN_COLOUR, plot_style.VALIDATION_COLOUR
#: Group colours of the permutation drawing (>= 3:1 against both themes' background).
GROUP_COLOURS = ("#3382D6", "#D06A00", "#2CA02C", "#9467BD", "#D62728", "#8C564B", "#E377C2", "#7F7F7F")


class CurvePlot(pg.PlotWidget):
    """A small plot of one or two curves, re-coloured with the theme; ``curves`` holds what is drawn."""

    def __init__(self, title: str, left: str, bottom: str = "x") -> None:
        super().__init__()
        self.setAccessibleName(title)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.getPlotItem().hideButtons()
        self.setMinimumSize(220, 160)
        self.labels = (title, left, bottom)
        self.curves: dict[str, tuple[list[float], list[float]]] = {}
        self._style()

    def show_curves(self, curves: list[tuple[str, list[float], list[float], bool]]) -> None:
        """(name, x, y, main?) for each curve: the main one solid, the others dashed."""
        self.clear()
        self.curves = {}
        if len(curves) > 1:  # one curve is named by the plot's title; a legend would cover its start
            self.addLegend(offset=(8, 8), labelTextColor=plot_style.foreground(self))
        for name, x, y, main in curves:
            pen = pg.mkPen(MAIN_COLOUR if main else OTHER_COLOUR, width=2.5 if main else 2,
                           style=Qt.PenStyle.SolidLine if main else Qt.PenStyle.DashLine)
            self.plot(x, y, pen=pen, name=name)
            self.curves[name] = (list(x), list(y))
        self.setAccessibleDescription("; ".join(self.curves))

    def _style(self) -> None:
        plot_style.style_graphics_widget(self, self)
        plot_style.style_plot(self.getPlotItem(), self)
        title, left, bottom = self.labels
        self.getPlotItem().setTitle(title)
        self.getPlotItem().setLabel("left", left)
        self.getPlotItem().setLabel("bottom", bottom)
        for name in ("left", "bottom"):  # a slope of 0.1 reads as 0.1, not as 100 (×0.001)
            self.getPlotItem().getAxis(name).enableAutoSIPrefix(False)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if plot_style.is_palette_change(event) and hasattr(self, "curves"):  # not while PlotWidget builds
            self._style()
            if self.curves:
                self.show_curves([(name, x, y, index == 0) for index, (name, (x, y)) in enumerate(self.curves.items())])
        super().changeEvent(event)


class ShuffleDrawing(QWidget):
    """Channels before (top row) and after (bottom row) a channel shuffle, coloured by their group, with a
    line from each channel's old place to its new one."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[int] = []
        self.groups = 1
        self.setMinimumHeight(170)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Channel shuffle: where each channel goes")

    def sizeHint(self) -> QSize:
        return QSize(600, 220)

    def show_order(self, order: list[int], groups: int) -> None:
        self.order, self.groups = list(order), groups
        per_group = len(order) // groups if groups else 0
        self.setAccessibleDescription(", ".join(f"output {k} ← input {source}" for k, source in enumerate(order))
                                      + f"; {groups} groups of {per_group}")
        self.update()

    def box(self, index: int, bottom: bool) -> QRectF:
        """The box of channel ``index`` in the top (input) or bottom (output) row."""
        count = max(1, len(self.order))
        gap = 6.0
        side = max(10.0, min(44.0, (self.width() - 16 - gap * (count - 1)) / count))
        left = (self.width() - (count * side + gap * (count - 1))) / 2
        top = self.height() - side - 22 if bottom else 22.0
        return QRectF(left + index * (side + gap), top, side, side)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        if not self.order:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(self.foregroundRole())
        per_group = len(self.order) // self.groups
        colours = [QColor(GROUP_COLOURS[(source // per_group) % len(GROUP_COLOURS)]) for source in range(len(self.order))]
        painter.setPen(text)
        painter.drawText(QRectF(0, 0, self.width(), 20), Qt.AlignmentFlag.AlignCenter,
                         f"input channels: {self.groups} group{'s' * (self.groups != 1)} of {per_group}")
        painter.drawText(QRectF(0, self.height() - 20, self.width(), 20), Qt.AlignmentFlag.AlignCenter,
                         "output channels")
        for target, source in enumerate(self.order):
            start, end = self.box(source, False), self.box(target, True)
            pen = QPen(colours[source], 2)
            painter.setPen(pen)
            painter.drawLine(QPointF(start.center().x(), start.bottom()), QPointF(end.center().x(), end.top()))
        for bottom in (False, True):
            for position in range(len(self.order)):
                source = self.order[position] if bottom else position
                rect = self.box(position, bottom)
                painter.fillRect(rect, colours[source])
                painter.setPen(QColor("white"))
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(source))
        painter.end()
