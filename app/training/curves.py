"""Loss and accuracy curves of the current run, with earlier runs dimmed behind.

Training reports a point per batch (drawn smoothed, with the raw values
faint behind) and a validation point per epoch. Points are buffered and the
plots redrawn by a timer at most every ``REDRAW_INTERVAL_MS``: each redraw
calls ``setData`` on the existing curve items, so no items are created while
a run is going. The x axis is in epochs (2.5 = half-way through epoch 3).

While a run draws, no axis moves per update: x spans the whole run, accuracy
0–100 % and loss 0 up to a round step above its highest value, so a redraw
repaints the curves but neither recomputes nor repaints the ticks (axis
repaints were most of the window's painting time during training).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QGraphicsItem, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from . import plot_style
from .on_screen import behind_a_tab
from .live_items import LivePlotDataItem
from .throttle import Throttle

REDRAW_INTERVAL_MS = 200
#: Weight of the past in the exponential moving average of batch values.
SMOOTHING = 0.8
#: Dimmed earlier runs kept for overlay (older ones are dropped).
MAX_PREVIOUS_RUNS = 5


def round_step_above(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (1.0 for nothing positive)."""
    if not np.isfinite(value) or value <= 0:
        return 1.0
    power = 10.0 ** np.floor(np.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value * (1 - 1e-9)))


#: Logical px of the plots' widget: below it the dock scrolls (title, ticks and a 40 px plot fit; 2× on 720 px does).
GRAPHICS_MIN_HEIGHT = 90
#: Logical px of the view's height from which the x axes say "epoch" below their ticks.
EPOCH_LABEL_MIN_HEIGHT = 230


def cache_picture(*items: QGraphicsItem) -> None:
    """Items that change rarely (the validation points, earlier runs) are kept as a picture of their pixels:
    a redraw repaints the region the batch curves cover, and these are copied there instead of stroked
    again (their symbols cost more to paint than a curve). A change or a zoom draws the picture again."""
    for item in items:
        item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


class SmoothedSeries:
    """Raw values and their debiased exponential moving average (TensorBoard style)."""

    def __init__(self, smoothing: float = SMOOTHING) -> None:
        self.smoothing = smoothing
        self.x: list[float] = []
        self.raw: list[float] = []
        self.smooth: list[float] = []
        self._average = 0.0

    def append(self, x: float, value: float) -> None:
        self._average = self.smoothing * self._average + (1 - self.smoothing) * value
        # Debiasing keeps the first points from being pulled towards zero.
        debias = 1 - self.smoothing ** (len(self.raw) + 1)
        self.x.append(x)
        self.raw.append(value)
        self.smooth.append(self._average / debias)


@dataclass
class RunSeries:
    """Everything plotted for one run: one metric's batch values and validation points."""

    label: str
    train: dict[str, SmoothedSeries] = field(default_factory=lambda: {"loss": SmoothedSeries(), "accuracy": SmoothedSeries()})
    val_x: list[float] = field(default_factory=list)
    val: dict[str, list[float]] = field(default_factory=lambda: {"loss": [], "accuracy": []})


class _MetricPlot:
    """One plot (loss or accuracy): current-run curves, dimmed earlier runs and a hover read-out."""

    def __init__(self, plot: pg.PlotItem, metric: str, owner: QWidget) -> None:
        self.plot, self.metric, self.owner = plot, metric, owner
        plot.getAxis("bottom").enableAutoSIPrefix(False)
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.setLimits(xMin=0)
        plot.setClipToView(True)
        plot.setDownsampling(auto=True, mode="peak")
        self.previous_curves: list[pg.PlotDataItem] = []
        #: Top of the fixed y range while the y axis follows the data in steps (None: fixed by the owner).
        self.y_top: float | None = 0.0 if metric == "loss" else None
        self.begin_run()
        # Growing curves: an update repaints their new points only (see live_items).
        self.raw = LivePlotDataItem(pen=pg.mkPen(plot_style.dimmed(plot_style.TRAIN_COLOUR, 60), width=1))
        self.smooth = LivePlotDataItem(pen=pg.mkPen(plot_style.TRAIN_COLOUR, width=2))
        self.validation = LivePlotDataItem(
            pen=pg.mkPen(plot_style.VALIDATION_COLOUR, width=2), symbol="o", symbolSize=7,
            symbolBrush=plot_style.VALIDATION_COLOUR, symbolPen=None,
        )
        for curve in (self.raw, self.smooth, self.validation):
            plot.addItem(curve)
        cache_picture(self.validation.curve, self.validation.scatter)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.readout = pg.TextItem(anchor=(0, 0))
        for item in (self.crosshair, self.readout):
            item.setZValue(100)
            item.hide()
            plot.addItem(item, ignoreBounds=True)
        self.apply_colours()

    def apply_colours(self) -> None:
        """Axes, title and read-out in the owner's palette colours (again after a theme switch)."""
        plot_style.style_plot(self.plot, self.owner)
        text = plot_style.foreground(self.owner)
        # At the body's size: pyqtgraph's larger titles took a third of a short dock (at 2× on 720 px,
        # the plots were 10 px strips).
        points = self.owner.font().pointSizeF()
        self.plot.setTitle(self.plot.titleLabel.text, color=text.name(), size=f"{points:g}pt" if points > 0 else None)
        line = round(self.owner.fontMetrics().height() * 1.3)  # pyqtgraph's title row is 30 px whatever the font
        self.plot.titleLabel.setMaximumHeight(line)
        self.plot.layout.setRowFixedHeight(0, line)
        self.crosshair.setPen(pg.mkPen(text, width=1, style=Qt.PenStyle.DotLine))
        self.readout.setColor(text)
        self.readout.fill = pg.mkBrush(plot_style.dimmed(plot_style.background(self.owner), 220))
        self.readout.update()

    def add_previous(self, run: RunSeries) -> pg.PlotDataItem:
        """Adds a dimmed copy of a finished run (called once per run, not per update)."""
        series = run.train[self.metric]
        curve = self.plot.plot(series.x, series.smooth, pen=pg.mkPen(plot_style.dimmed(plot_style.TRAIN_COLOUR, 70),
                                                                       width=1.5))
        curve.setZValue(-10)
        cache_picture(curve)
        self.previous_curves.append(curve)
        if len(self.previous_curves) > MAX_PREVIOUS_RUNS:
            self.plot.removeItem(self.previous_curves.pop(0))
        return curve

    def begin_run(self) -> None:
        if self.y_top is not None:
            self.y_top = 0.0
        self._validation_points = -1
        self._seen = self._seen_validation = 0
        self._low = 0.0

    def redraw(self, run: RunSeries) -> None:
        series = run.train[self.metric]
        self.raw.setData(series.x, series.raw)
        self.smooth.setData(series.x, series.smooth)
        if len(run.val_x) != self._validation_points:  # once an epoch: its symbols are costly to rebuild
            self._validation_points = len(run.val_x)
            self.validation.setData(run.val_x, run.val[self.metric])
        if self.y_top is not None:
            # Only the points added since the last redraw are looked at: a long run has many.
            new = series.raw[self._seen:] + run.val[self.metric][self._seen_validation:]
            self._seen, self._seen_validation = len(series.raw), len(run.val[self.metric])
            finite = [value for value in new if np.isfinite(value)]
            self._low = min([self._low, *finite])
            self._follow_in_steps(max(finite, default=0.0))

    def _follow_in_steps(self, highest: float) -> None:
        top = max(self.y_top or 0.0, round_step_above(highest))
        if top != self.y_top:  # rare: the axis and its ticks change only when a step is crossed
            self.y_top = top
            self.plot.setYRange(self._low, top, padding=0.02)

    def show_readout(self, x: float, run: RunSeries, unit: str) -> None:
        series = run.train[self.metric]
        lines = [f"epoch {x:.2f}"]
        if series.x:
            i = int(np.clip(np.searchsorted(series.x, x), 0, len(series.x) - 1))
            lines.append(f"train {self.metric}: {series.smooth[i]:.4g}{unit} (batch {series.raw[i]:.4g}{unit})")
        if run.val_x:
            j = int(np.argmin(np.abs(np.asarray(run.val_x) - x)))
            lines.append(f"validation {self.metric} @ epoch {run.val_x[j]:g}: {run.val[self.metric][j]:.4g}{unit}")
        self.readout.setText("\n".join(lines))
        (x_min, x_max), (y_min, y_max) = self.plot.vb.viewRange()
        # Keep the read-out inside the plot: flip it to the left of the cursor in the right half.
        self.readout.setAnchor((1, 0) if x > (x_min + x_max) / 2 else (0, 0))
        self.readout.setPos(x, y_max)
        self.crosshair.setPos(x)
        self.crosshair.show()
        self.readout.show()

    def hide_readout(self) -> None:
        self.crosshair.hide()
        self.readout.hide()


class CurvesView(QWidget):
    """Loss (top) and accuracy (bottom) against epochs, for this session's runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setAccessibleName("Training curves")
        self.graphics.setAccessibleDescription("Loss and accuracy per epoch, for training and validation")
        self.graphics.setMinimumHeight(GRAPHICS_MIN_HEIGHT)  # a lower dock scrolls rather than flatten the plots
        self.graphics.ci.setContentsMargins(4, 2, 4, 2)  # (pyqtgraph's margins took a fifth of a short dock)
        plot_style.style_graphics_widget(self.graphics, self)
        loss_plot = self.graphics.addPlot(row=0, col=0, axisItems={"left": plot_style.ReadableValueAxis("left")})
        accuracy_plot = self.graphics.addPlot(row=1, col=0,
                                              axisItems={"left": plot_style.ReadableValueAxis("left")})
        loss_plot.setTitle("Loss (cross-entropy)")  # not a left label: it is cut short on a low dock
        accuracy_plot.setTitle("Accuracy")
        accuracy_plot.setXLink(loss_plot)
        accuracy_plot.setLabel("bottom", "epoch")
        loss_plot.setLabel("bottom", "epoch")
        loss_plot.showLabel("bottom", False)
        accuracy_plot.setLabel("left", "%")
        accuracy_plot.setYRange(0, 100, padding=0.02)
        self._titled = (loss_plot, accuracy_plot)
        self.plots = {"loss": _MetricPlot(loss_plot, "loss", self), "accuracy": _MetricPlot(accuracy_plot, "accuracy", self)}
        self._units = {"loss": "", "accuracy": " %"}
        self._side_by_side = False

        self.previous_toggle = QCheckBox("Show earlier runs")
        self.previous_toggle.setChecked(True)
        self.previous_toggle.setToolTip("Overlay the smoothed training curves of this session's earlier runs, dimmed.")
        self.previous_toggle.toggled.connect(self.set_previous_runs_visible)
        # One legend for both plots, outside them, so it never hides a curve.
        # The marks in the curves' colours, the words in the text colour (coloured text was unreadable:
        # dimmed blue on dark grey).
        entries = (
            (plot_style.TRAIN_COLOUR, "━", "training (smoothed per batch)"),
            (plot_style.VALIDATION_COLOUR, "●━", "validation (per epoch)"),
            (plot_style.dimmed(plot_style.TRAIN_COLOUR, 110), "━", "earlier runs"),
        )
        self.legend = QLabel("&nbsp;&nbsp; ".join(
            f"<span style='color:{colour.name(QColor.NameFormat.HexArgb)}'>{mark}</span>"
            f"&nbsp;{text.replace(' ', '&nbsp;')}" for colour, mark, text in entries))
        self.legend.setToolTip("Hover over a plot to read the values under the cursor.")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 4)
        self.legend.setWordWrap(True)
        bar.addWidget(self.legend, 1)
        bar.addWidget(self.previous_toggle)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics, 1)
        layout.addLayout(bar)

        self.run: RunSeries | None = None
        self.previous_runs: list[RunSeries] = []
        self._dirty = False
        self.redraws = 0  # redraws that reached the plots (tests count them)
        # At most one redraw per interval however fast points arrive, none when idle.
        self.redraw_throttle = Throttle(REDRAW_INTERVAL_MS, self.redraw, self)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if plot_style.is_palette_change(event) and hasattr(self, "plots"):  # (not while being built)
            plot_style.style_graphics_widget(self.graphics, self)
            for plot in self.plots.values():
                plot.apply_colours()

    def set_titles(self, loss: str, accuracy: str) -> None:
        """What the two plots measure for the project's task (a detector's "accuracy" is centre recall)."""
        if self.titles() == (loss, accuracy):
            return
        for plot, title in zip(self._titled, (loss, accuracy)):
            plot.setTitle(title)
        self.graphics.setAccessibleDescription(f"{loss} and {accuracy.lower()} per epoch, for training and "
                                               "validation")

    def titles(self) -> tuple[str, str]:
        return tuple(plot.titleLabel.text for plot in self._titled)

    # --- feeding data ----------------------------------------------------------------

    def begin_run(self, label: str, epochs: int | None = None) -> None:
        """Starts a new run; the current one (if it has points) joins the dimmed earlier runs.

        ``epochs`` fixes the x axis to the whole run, so curves grow into it.
        """
        if self.run is not None and self.run.train["loss"].x:
            self.previous_runs.append(self.run)
            self.previous_runs = self.previous_runs[-MAX_PREVIOUS_RUNS:]
            for plot in self.plots.values():
                plot.add_previous(self.run).setVisible(self.previous_toggle.isChecked())
        self.run = RunSeries(label)
        for plot in self.plots.values():
            plot.begin_run()
        if epochs:
            for plot in self.plots.values():
                plot.plot.setXRange(0, epochs, padding=0.02)
        self._mark_dirty()

    def add_train_point(self, epoch_position: float, loss: float, accuracy: float | None = None) -> None:
        """One batch: ``accuracy`` is a fraction 0..1 (shown in %)."""
        run = self._current()
        run.train["loss"].append(epoch_position, loss)
        if accuracy is not None:
            run.train["accuracy"].append(epoch_position, 100.0 * accuracy)
        self._mark_dirty()

    def add_validation_point(self, epoch: float, loss: float | None, accuracy: float | None) -> None:
        if loss is None:  # an epoch without validation (``val_every``)
            return
        run = self._current()
        run.val_x.append(epoch)
        run.val["loss"].append(loss)
        run.val["accuracy"].append(100.0 * accuracy)
        self._mark_dirty()

    def _mark_dirty(self) -> None:
        self._dirty = True
        self.redraw_throttle.request()

    def set_previous_runs_visible(self, visible: bool) -> None:
        for plot in self.plots.values():
            for curve in plot.previous_curves:
                curve.setVisible(visible)

    def redraw(self) -> None:
        """Pushes buffered points to the curve items (the throttle calls this; tests may too).

        Not while the curves cannot be seen (their tab is behind another, or their dock is closed in a
        shown window): the points wait, and ``show_pending`` or the next show draws them at once."""
        if not self._dirty or self.run is None or self._out_of_sight():
            return
        self._dirty = False
        self.redraws += 1
        for plot in self.plots.values():
            plot.redraw(self.run)

    def show_pending(self, visible: bool = True) -> None:
        """Draws the points kept while out of sight (connect the dock's ``visibilityChanged``)."""
        if visible:
            self.redraw()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.redraw()

    def _out_of_sight(self) -> bool:
        window = self.window()
        return behind_a_tab(self) or (window is not self and window.isVisible() and not self.isVisible())

    # --- reading values ------------------------------------------------------------

    def _current(self) -> RunSeries:
        if self.run is None:
            self.begin_run("run 1")
        assert self.run is not None
        return self.run

    def _on_mouse_moved(self, scene_pos) -> None:
        for metric, plot in self.plots.items():
            if self.run is not None and plot.plot.sceneBoundingRect().contains(scene_pos):
                x = plot.plot.vb.mapSceneToView(scene_pos).x()
                plot.show_readout(x, self.run, self._units[metric])
            else:
                plot.hide_readout()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # Side by side in a wide, short dock; stacked in a tall one.
        wide = event.size().width() > 1.6 * event.size().height()
        # "epoch" under the axis only where there is height to spare (the legend says "per epoch").
        room = event.size().height() >= EPOCH_LABEL_MIN_HEIGHT
        self.plots["accuracy"].plot.showLabel("bottom", room)
        if wide != self._side_by_side:
            self._side_by_side = wide
            layout = self.graphics.ci
            accuracy = self.plots["accuracy"].plot
            layout.removeItem(accuracy)
            if wide:
                layout.addItem(accuracy, row=0, col=1)
            else:
                layout.addItem(accuracy, row=1, col=0)
        self.plots["loss"].plot.showLabel("bottom", wide and room)

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        for plot in self.plots.values():
            plot.hide_readout()
        super().hideEvent(event)
