"""The sweep's trade-off, live: each complete trial's metric against its MACs, the Pareto front joined.

Clicking a point asks to open that trial's network (``open_requested``); the trials table beside it is the
keyboard's way to the same (Enter on a row).
"""
from __future__ import annotations

from app.shell.pyqtgraph_import import import_pyqtgraph_without_cuda

import_pyqtgraph_without_cuda()

import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEvent, Signal  # noqa: E402
from PySide6.QtWidgets import QVBoxLayout, QWidget  # noqa: E402

from engine.experiments.sweeps.results import front_of  # noqa: E402

from ..training import plot_style  # noqa: E402


class ParetoView(QWidget):
    open_requested = Signal(int)
    """A trial number whose network the user asked to open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paretoView")
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("paretoPlot")
        self.plot.setAccessibleName("Pareto front: validation metric against MACs")
        self.plot.setLabel("bottom", "MACs")
        self.plot.setLabel("left", "best validation metric")
        self.plot.setMinimumSize(240, 160)
        # The metric as it is (0.85), not in thousandths with a "(x0.001)" the axis chose.
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.trials = pg.ScatterPlotItem(size=9, brush=pg.mkBrush(150, 150, 150, 160), pen=None)
        self.front = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(30, 120, 220), pen=pg.mkPen("w"))
        self.front_line = pg.PlotDataItem(pen=pg.mkPen(30, 120, 220, width=1.5))
        for item in (self.front_line, self.trials, self.front):
            self.plot.addItem(item)
        self.trials.sigClicked.connect(self._clicked)
        self.front.sigClicked.connect(self._clicked)
        self.front_numbers: list[int] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._style()

    def _style(self) -> None:
        """The theme's colours, as the training dashboards (pyqtgraph draws on black otherwise)."""
        plot_style.style_graphics_widget(self.plot, self)
        plot_style.style_plot(self.plot.getPlotItem(), self)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if plot_style.is_palette_change(event):
            self._style()

    def show_rows(self, rows) -> None:
        """Plots the complete trials of ``rows`` (``TrialRow``s with a metric and MACs)."""
        points = [(row.metric, float(row.macs), row.number) for row in rows
                  if row.state == "complete" and row.metric is not None and row.macs is not None]
        front = sorted((points[index] for index in front_of([(metric, macs) for metric, macs, _ in points])),
                       key=lambda point: point[1])
        self.front_numbers = [number for _, _, number in front]
        self.trials.setData([{"pos": (macs, metric), "data": number} for metric, macs, number in points])
        self.front.setData([{"pos": (macs, metric), "data": number} for metric, macs, number in front])
        self.front_line.setData([macs for _, macs, _ in front], [metric for metric, _, _ in front])

    def _clicked(self, _item, points, _event=None) -> None:
        if len(points):
            self.open_requested.emit(int(points[0].data()))
