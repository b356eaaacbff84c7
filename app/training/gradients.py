"""The Gradients dashboard: what flows backwards through each layer while the network trains.

Frames come from the worker's gradient mailbox (pulled a few times a second
while this view is open; with it closed the trainer captures nothing). The
view draws, for the chosen measure (weight-gradient norm, activation-gradient
norm or update/weight ratio, on a log10 scale):

* bars: one per layer in graph order, from the newest frame, with the
  previous runs' last frames as lines over them, so two runs compare
  (the "Plain vs residual" example trains two networks one after the other);
* a heat strip: layers (rows, input at the top) by epochs (columns), the last
  frame of each epoch, so vanishing gradients show as a fading top.

Dead ReLUs and saturated activations are listed under the plots (and the
training controller puts them on the cards).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.insight.gradient_frame import GradientFrame, layer_flags

from . import plot_style

#: (attribute of LayerGradients, what the chooser says)
MEASURES = (
    ("activation_grad_norm", "Activation gradient norm"),
    ("weight_grad_norm", "Weight gradient norm"),
    ("update_ratio", "Update / weight ratio"),
)
#: Colours of earlier runs' lines (newest first), distinct from the bars' blue.
RUN_COLOURS = (plot_style.VALIDATION_COLOUR, plot_style.GOOD_COLOUR, plot_style.ERROR_COLOUR)
#: Up to this many layers the bars are labelled with their names; deeper networks get numbers.
MAX_NAMED_LAYERS = 6
PLACEHOLDER = "Train the network with this view open to see its gradients flow, layer by layer."


def log10_values(frame: GradientFrame, measure: str) -> np.ndarray:
    """The measure per layer as log10 (NaN where a layer has none, or it is zero)."""
    values = [getattr(layer, measure) for layer in frame.layers]
    return np.array([math.log10(v) if v is not None and v > 0 else np.nan for v in values], dtype=np.float64)


def layer_ticks(names: list[str]) -> list[tuple[int, str]]:
    """The bars' axis: the layers' names where they fit, else every fifth layer's number (from 1)."""
    if len(names) <= MAX_NAMED_LAYERS:
        return list(enumerate(names))
    return [(index, str(index + 1)) for index in range(0, len(names), 5)]


class GradientsView(QWidget):
    """``begin_run(label)``, ``add_frame(frame)``, ``end_run()``; ``epoch_frames`` and ``runs`` hold the data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = ""
        self.epoch_frames: dict[int, GradientFrame] = {}
        """This run's last frame of each epoch."""
        self.runs: list[tuple[str, GradientFrame]] = []
        """Finished runs (label, last frame), oldest first."""
        self.frames_shown = 0

        self.measure = QComboBox()
        for key, text in MEASURES:
            self.measure.addItem(text, key)
        self.measure.setAccessibleName("Gradient measure")
        self.measure.setToolTip("Which number each bar shows (log10 scale): how much gradient reaches each "
                                "layer's output, its weights' gradient, or how far one step moves its weights.")
        self.measure.currentIndexChanged.connect(lambda _index: self.redraw())
        chooser = QHBoxLayout()
        measure_label = QLabel("&Measure")
        measure_label.setBuddy(self.measure)
        chooser.addWidget(measure_label)
        chooser.addWidget(self.measure, 1)

        self.bars_plot = pg.PlotWidget(enableMenu=False)  # (built without the menu, not built then dropped)
        self.bars_plot.setAccessibleName("Gradient per layer")
        self.bars_plot.getPlotItem().setLabel("left", "log10")
        self.bars_plot.getPlotItem().setLabel("bottom", "layer (input on the left)")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=plot_style.TRAIN_COLOUR)
        self.bars_plot.addItem(self.bars)
        self.run_lines: list[pg.PlotDataItem] = []
        self.bars_plot.addLegend(offset=(-10, 10))

        self.strip_plot = pg.PlotWidget(enableMenu=False)
        self.strip_plot.setAccessibleName("Gradient heat strip over epochs")
        self.strip_plot.getPlotItem().setLabel("bottom", "epoch")
        self.strip_plot.getPlotItem().invertY(True)  # the input's layer on top, as on the canvas
        self.strip = pg.ImageItem(axisOrder="row-major")
        self.strip.setColorMap(plot_style.colour_map())
        self.strip_plot.addItem(self.strip)

        self.status = QLabel(PLACEHOLDER)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setObjectName("gradientNote")
        self.note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.note.hide()
        self.flags_label = QLabel("")
        self.flags_label.setWordWrap(True)
        self.flags_label.setObjectName("gradientFlags")

        plots = QHBoxLayout()
        plots.addWidget(self.bars_plot, 3)
        plots.addWidget(self.strip_plot, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(chooser)
        layout.addLayout(plots, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.note)
        layout.addWidget(self.flags_label)
        self._restyle()

    # --- data ---------------------------------------------------------------------------

    @property
    def measure_key(self) -> str:
        return self.measure.currentData()

    def begin_run(self, label: str) -> None:
        self.end_run()
        self.label, self.epoch_frames, self.frames_shown = label, {}, 0
        self.status.setText(f"{label}: waiting for the first captured step…")
        self.flags_label.setText("")
        self.redraw()

    def end_run(self) -> None:
        """Keeps the run's last frame as a line to compare the next run with."""
        if self.epoch_frames:
            self.runs.append((self.label, self.epoch_frames[max(self.epoch_frames)]))
            self.runs = self.runs[-len(RUN_COLOURS):]
            self.epoch_frames = {}

    def add_frame(self, frame: GradientFrame) -> None:
        self.epoch_frames[frame.epoch] = frame
        self.frames_shown += 1
        flags = layer_flags(frame)
        self.flags_label.setText("" if not flags else "Flagged: " + "; ".join(
            f"{name} {text}" for name, text in flags.items()))
        self.status.setText(f"{self.label}: step {frame.step}, epoch {frame.epoch} · input side on the left (bars) "
                            "and on top (strip)")
        self.redraw()

    def set_note(self, text: str) -> None:
        """An explanation under the plots (an example's), or none."""
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def latest(self) -> GradientFrame | None:
        return self.epoch_frames[max(self.epoch_frames)] if self.epoch_frames else None

    def strip_values(self) -> np.ndarray:
        """(layers, epochs) log10 values of the chosen measure, the last frame of each epoch."""
        if not self.epoch_frames:
            return np.zeros((0, 0))
        columns = [log10_values(self.epoch_frames[epoch], self.measure_key) for epoch in sorted(self.epoch_frames)]
        return np.stack(columns, axis=1)

    # --- drawing --------------------------------------------------------------------------

    def redraw(self) -> None:
        measure = self.measure_key
        latest = self.latest()
        heights = log10_values(latest, measure) if latest is not None else np.zeros(0)
        shown = np.isfinite(heights)
        x = np.arange(len(heights))
        self.bars.setOpts(x=x[shown], height=heights[shown], width=0.7)
        for line in self.run_lines:
            self.bars_plot.removeItem(line)
        self.run_lines = []
        for (label, frame), colour in zip(reversed(self.runs), RUN_COLOURS):
            values = log10_values(frame, measure)
            keep = np.isfinite(values)
            line = pg.PlotDataItem(np.arange(len(values))[keep], values[keep], name=label,
                                   pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=5,
                                   symbolBrush=colour, symbolPen=None)
            self.bars_plot.addItem(line)
            self.run_lines.append(line)
        if latest is not None:
            self.bars_plot.getAxis("bottom").setTicks([layer_ticks([layer.name for layer in latest.layers])])
        values = self.strip_values()
        if values.size and np.isfinite(values).any():
            low, high = float(np.nanmin(values)), float(np.nanmax(values))
            self.strip.setImage(np.nan_to_num(values, nan=low), autoLevels=False,
                                levels=(low, high if high > low else low + 1))
            self.strip.setRect(0.5, -0.5, values.shape[1], values.shape[0])
        else:
            self.strip.clear()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if plot_style.is_palette_change(event):
            self._restyle()

    def _restyle(self) -> None:
        for plot in (self.bars_plot, self.strip_plot):
            plot_style.style_graphics_widget(plot, self)
            plot_style.style_plot(plot.getPlotItem(), self)
