"""Curves of several runs overlaid: validation loss and the best metric per epoch, one colour per run."""
from __future__ import annotations

import math
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QSize
from PySide6.QtGui import QScreen
from PySide6.QtWidgets import QVBoxLayout, QWidget

from engine.experiments.folders import METRICS_FILE
from engine.experiments.listing import RunRow
from engine.experiments.metrics_log import read_metrics

from ..training import plot_style

MAX_OVERLAID = 8
"""Beyond this many runs the colours stop telling them apart."""


def size_hints(screen: QScreen) -> tuple[QSize, QSize]:
    """The curves' (size hint, minimum size hint), known before they are built, so a stand-in (the Runs
    panel's LazyView) asks a splitter for the same room. The size is what the plots asked for themselves
    (QGraphicsView: pyqtgraph's 640x480 scene, at most 3/4 of the screen), the least 120 px high."""
    return QSize(640, 480).boundedTo(screen.virtualSize() * 3 / 4), QSize(68, 120)


class RunCurvesView(QWidget):
    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return size_hints(self.screen())[0]

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return size_hints(self.screen())[1]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setObjectName("runCurves")
        self.graphics.setAccessibleName("Curves of the selected runs")
        self.graphics.setMinimumHeight(120)
        self.loss_plot = self.graphics.addPlot(title="Validation loss")
        self.score_plot = self.graphics.addPlot(title="Best metric")
        for plot in (self.loss_plot, self.score_plot):
            plot.setLabel("bottom", "epoch")
            plot.addLegend(offset=(-5, 5))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self.shown: list[Path] = []
        self._apply_colours()

    def show_runs(self, rows: list[RunRow]) -> None:
        """Overlays the first ``MAX_OVERLAID`` of ``rows`` (none: empty plots)."""
        for plot in (self.loss_plot, self.score_plot):
            plot.clear()
        rows = rows[:MAX_OVERLAID]
        self.shown = [row.folder for row in rows]
        metrics = {row.best_metric for row in rows if row.best_metric}
        self.score_plot.setTitle(next(iter(metrics)) if len(metrics) == 1 else "Best metric (each run's own)")
        for index, row in enumerate(rows):
            entries = read_metrics(row.folder / METRICS_FILE)
            pen = pg.mkPen(pg.intColor(index, hues=MAX_OVERLAID), width=2)
            for plot, key in ((self.loss_plot, "val_loss"), (self.score_plot, row.best_metric)):
                points = [(entry["epoch"], entry[key]) for entry in entries
                          if isinstance(entry.get(key), (int, float)) and isinstance(entry.get("epoch"), int)
                          and math.isfinite(entry[key])]
                if points:
                    xs, ys = zip(*points)
                    plot.plot(list(xs), list(ys), pen=pen, symbol="o", symbolSize=5, symbolBrush=pen.color(),
                              name=row.name)

    def curve_count(self) -> int:
        return len(self.loss_plot.listDataItems()) + len(self.score_plot.listDataItems())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if plot_style.is_palette_change(event):
            self._apply_colours()

    def _apply_colours(self) -> None:
        plot_style.style_graphics_widget(self.graphics, self)
        for plot in (self.loss_plot, self.score_plot):
            plot_style.style_plot(plot, self)
