"""The Embeddings dashboard of an embedding (faces) run: the verification ROC and a 2-D map of the
validation embeddings, per validated epoch.

The ROC (from torchmetrics, on identities the network never trained on) rises towards the top-left
corner as the network learns; the map projects the validation embeddings on their two principal axes
(torch.pca_lowrank, in the engine) coloured by identity, so the user watches the identities pull apart.
The threshold slider moves the operating point along the ROC (the false- and true-accept rates it
gives), and ``threshold_changed`` hands it to Try an Image's verdict and the export.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from . import plot_style

STEPS = 1000
"""The slider's steps over cosine similarities -1..1."""


def operating_point(roc: dict, threshold: float) -> tuple[float, float]:
    """(false-accept rate, true-accept rate) when pairs with similarity ≥ ``threshold`` are accepted: the
    ROC point of the smallest listed threshold still ≥ ``threshold`` (thresholds fall along the curve)."""
    thresholds = np.asarray(roc["thresholds"], dtype=np.float64)
    reached = np.nonzero(thresholds >= threshold)[0]
    if reached.size == 0:
        return 0.0, 0.0
    index = int(reached[-1])
    return float(roc["fpr"][index]), float(roc["tpr"][index])


class EmbeddingView(QWidget):
    """``show_epoch(metrics, identity_names)``, ``set_threshold``, ``threshold``, ``clear``."""

    threshold_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roc: dict | None = None
        self.epoch: int | None = None
        self.user_moved = False  # once the user moves the threshold, epochs no longer reset it
        self.points = np.zeros((0, 2))
        self.point_labels = np.zeros(0, dtype=np.int64)

        self.roc_plot = pg.PlotWidget(enableMenu=False)  # (built without the menu, not built then dropped)
        self.roc_plot.setAccessibleName("Verification ROC curve")
        self.map_plot = pg.PlotWidget(enableMenu=False)
        self.map_plot.setAccessibleName("Validation embeddings, projected to 2-D")
        for plot in (self.roc_plot, self.map_plot):
            plot.setMinimumHeight(140)
            plot.getPlotItem().hideButtons()
        self.roc_plot.setMouseEnabled(False, False)
        self.roc_plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.chance = self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine))
        self.curve = self.roc_plot.plot([], [], pen=pg.mkPen(plot_style.TRAIN_COLOUR, width=2))
        self.marker = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(plot_style.VALIDATION_COLOUR))
        self.roc_plot.addItem(self.marker)
        self.scatter = pg.ScatterPlotItem(size=7, pen=None)
        self.map_plot.addItem(self.scatter)

        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(-STEPS, STEPS)
        self.slider.setValue(STEPS // 2)
        self.slider.setAccessibleName("Verification threshold")
        self.slider.setToolTip("Two images are called the same identity when their cosine similarity reaches "
                               "this threshold. Moving it moves the operating point along the ROC curve.")
        self.slider.valueChanged.connect(self._on_slider)
        self.threshold_label = QLabel()
        slider_label = QLabel("&Threshold")
        slider_label.setBuddy(self.slider)
        slider_row = QHBoxLayout()
        slider_row.addWidget(slider_label)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.threshold_label)

        self.status = QLabel("Train an embedding network: its ROC curve and a map of the validation identities "
                             "appear here after each validated epoch.")
        self.status.setWordWrap(True)
        plots = QHBoxLayout()
        plots.addWidget(self.roc_plot, 1)
        plots.addWidget(self.map_plot, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(plots, 1)
        layout.addLayout(slider_row)
        layout.addWidget(self.status)
        self.setAccessibleName("Embeddings")
        self._style_plots()
        self._show_threshold()

    # --- what the run sends ----------------------------------------------------------------

    def show_epoch(self, metrics: dict, epoch: int) -> None:
        """One validated epoch's ROC, AUC, EER, TAR@FAR, top-k and projected embeddings."""
        self.epoch = epoch
        roc = metrics.get("val_roc")
        if roc:
            self.roc = roc
            self.curve.setData(roc["fpr"], roc["tpr"])
        points, labels = metrics.get("val_points"), metrics.get("val_point_labels")
        if points:
            self.points = np.asarray(points, dtype=np.float64)
            self.point_labels = np.asarray(labels, dtype=np.int64)
            identities = {label: index for index, label in enumerate(sorted(set(labels)))}
            brushes = [pg.mkBrush(pg.intColor(identities[label], hues=max(len(identities), 1), alpha=200))
                       for label in labels]
            self.scatter.setData(pos=self.points, brush=brushes)
        if metrics.get("val_threshold") is not None and not self.user_moved:
            self.set_threshold(float(metrics["val_threshold"]), by_user=False)
        self.status.setText(f"Epoch {epoch}: " + epoch_words(metrics))
        self.status.setAccessibleDescription(self.status.text())
        self._show_threshold()

    def set_threshold(self, threshold: float, by_user: bool = True) -> None:
        self.user_moved = self.user_moved or by_user
        self.slider.blockSignals(True)
        self.slider.setValue(round(max(-1.0, min(1.0, threshold)) * STEPS))
        self.slider.blockSignals(False)
        self._show_threshold()
        self.threshold_changed.emit(self.threshold)

    @property
    def threshold(self) -> float:
        return self.slider.value() / STEPS

    def clear(self) -> None:
        self.roc, self.epoch, self.user_moved = None, None, False
        self.curve.setData([], [])
        self.scatter.clear()
        self.marker.clear()
        self.points, self.point_labels = np.zeros((0, 2)), np.zeros(0, dtype=np.int64)
        self.status.setText("Waiting for the first validated epoch…")

    def map_spread(self) -> float:
        """How far apart the identities' centres lie on the map relative to the spread within them
        (between-identity / within-identity distance; tests and the status line)."""
        if len(self.points) < 3:
            return 0.0
        centres = {label: self.points[self.point_labels == label].mean(0) for label in set(self.point_labels)}
        within = np.mean([np.linalg.norm(point - centres[label]) for point, label in
                          zip(self.points, self.point_labels)])
        middle = self.points.mean(0)
        between = np.mean([np.linalg.norm(centre - middle) for centre in centres.values()])
        return float(between / max(within, 1e-9))

    # --- drawing -----------------------------------------------------------------------------

    def _on_slider(self, _value: int) -> None:
        self.user_moved = True
        self._show_threshold()
        self.threshold_changed.emit(self.threshold)

    def _show_threshold(self) -> None:
        text = f"{self.threshold:+.3f}"
        if self.roc:
            far, tar = operating_point(self.roc, self.threshold)
            self.marker.setData([far], [tar])
            text += f" (false accepts {100 * far:.2f} %, true accepts {100 * tar:.1f} %)"
        self.threshold_label.setText(text)
        self.slider.setAccessibleDescription(text)

    def _style_plots(self) -> None:
        for plot, (bottom, left) in ((self.roc_plot, ("false-accept rate", "true-accept rate")),
                                     (self.map_plot, ("principal axis 1", "principal axis 2"))):
            plot_style.style_graphics_widget(plot, self)
            plot_style.style_plot(plot.getPlotItem(), self)
            plot.getPlotItem().setLabel("bottom", bottom)
            plot.getPlotItem().setLabel("left", left)

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if plot_style.is_palette_change(event):
            self._style_plots()
        super().changeEvent(event)


def epoch_words(metrics: dict) -> str:
    def share(key: str) -> str:
        return "n/a" if metrics.get(key) is None else f"{100 * metrics[key]:.1f} %"

    auc = "n/a" if metrics.get("val_auc") is None else f"{metrics['val_auc']:.3f}"
    return (f"verification AUC {auc}, EER {share('val_eer')}, TAR at FAR 1e-3 {share('val_tar_at_far')}; "
            f"identification top-1 {share('val_top1')}, top-5 {share('val_top5')} (validation identities, "
            "never trained on).")
