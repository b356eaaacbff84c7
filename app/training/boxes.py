"""The Boxes dashboard of a detection run: the probe image with its true boxes and the predicted ones, live.

While a detection network trains, the worker decodes the probe image's boxes a few times a second
(pulled, like the feature maps and the segmentation mask: see ``worker.take_output``); this view draws
them with their class and score beside the true boxes (dashed), so the user watches the boxes find the
objects and tighten. The score-threshold slider hides boxes scoring less (the worker sends every box
above ``engine.training.probe.PROBE_BOX_SCORE``, so moving it needs no new prediction). Each validated
epoch states mAP@0.5 and mAP@[.5:.95] (torchmetrics' MeanAveragePrecision, computed by the run) and
fills the per-class AP bars, the mAP and loss-part curves (heat map and box, train and validation) and
the precision–recall curve of each class; a class chooser shows that class's predicted heat map over the
probe image, from the same pulled prediction.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QSlider, QTabWidget,
                               QVBoxLayout, QWidget)

from . import plot_style
from .box_drawing import DrawnBoxes, box_colour, boxes_pixmap
from .box_matching import match_boxes

#: Logical px of each picture's side at most: the pictures take the room the dock gives them, never cut.
PICTURE_SIDE = 320
MIN_PICTURE_SIDE = 96
AP_PLOT_HEIGHT = 120
DEFAULT_THRESHOLD = 30  # % : engine.predict_boxes.DEFAULT_SCORE_THRESHOLD, as `convcanvas predict` draws


def threshold_slider(parent: QWidget, on_change) -> tuple[QSlider, QHBoxLayout]:
    """The score-threshold slider (0..100 %) and its labelled row, shared by the live view and Try an Image."""
    slider = QSlider(Qt.Orientation.Horizontal, parent)
    slider.setRange(0, 100)
    slider.setValue(DEFAULT_THRESHOLD)
    slider.setAccessibleName("Score threshold")
    slider.setToolTip("Boxes scoring less than this are hidden (0: every box the network proposes).")
    value = QLabel(parent)

    def changed(percent: int) -> None:
        value.setText(f"{percent / 100:.2f}")
        on_change()

    slider.valueChanged.connect(changed)
    value.setText(f"{slider.value() / 100:.2f}")
    caption = QLabel("Score &threshold", parent)
    caption.setBuddy(slider)
    row = QHBoxLayout()
    row.addWidget(caption)
    row.addWidget(slider, 1)
    row.addWidget(value)
    return slider, row


def as_drawn(found: dict) -> DrawnBoxes:
    """``engine.training.probe_boxes``' dict → boxes to draw."""
    return DrawnBoxes(np.asarray(found["boxes"], np.float32).reshape(-1, 4), np.asarray(found["labels"], np.int64),
                      np.asarray(found["scores"], np.float32))


def true_boxes(rows: np.ndarray) -> DrawnBoxes:
    """A padded box target (M, 5) ``[class, x0, y0, x1, y1]`` → its real boxes (class −1 rows are padding)."""
    rows = np.asarray(rows, np.float32).reshape(-1, 5)
    rows = rows[rows[:, 0] >= 0]
    return DrawnBoxes(rows[:, 1:], rows[:, 0].astype(np.int64))


HEAT_OPACITY = 0.65


def heat_overlay(image: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """``image`` ((H, W) or (H, W, 3) uint8) with one class's heat map ((h, w), 0..1, at the head's stride)
    blended over it in the activation colour map, each map cell covering the pixels it stands for."""
    rgb = np.repeat(image[..., None], 3, 2) if image.ndim == 2 else image[..., :3]
    height, width = rgb.shape[:2]
    rows = np.arange(height) * heat.shape[0] // height
    columns = np.arange(width) * heat.shape[1] // width
    cells = np.clip(heat[rows[:, None], columns[None, :]], 0, 1)
    colours = plot_style.colour_map().map(cells.reshape(-1), mode="byte")[:, :3].reshape(height, width, 3)
    alpha = HEAT_OPACITY * cells[..., None]  # a cold cell leaves the image readable
    return (rgb * (1 - alpha) + colours * alpha).round().astype(np.uint8)


class BoxView(QWidget):
    """``set_probe(image, true_rows, class_names)``, ``show_prediction(found)``, ``show_map(...)``, ``clear``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: np.ndarray | None = None
        self._true = DrawnBoxes.empty()
        self._predicted: DrawnBoxes | None = None
        self.class_names: list[str] = []
        self.frames_shown = 0  # predictions drawn since the run began
        self.map_epoch: int | None = None  # the epoch the mAP figures show

        self.pictures: dict[str, QLabel] = {}
        pictures = QGridLayout()
        for column, (key, caption) in enumerate((("true", "True boxes"), ("predicted", "Predicted boxes"))):
            picture = QLabel()
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setMinimumSize(QSize(MIN_PICTURE_SIDE, MIN_PICTURE_SIDE))
            # The layout sizes the picture and the picture follows (a pixmap's own size would push the
            # dock's other rows out, or be cut at the top and bottom in a low dock).
            picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            picture.setAccessibleName(caption)
            self.pictures[key] = picture
            title = QLabel(caption)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            pictures.addWidget(title, 0, column)
            pictures.addWidget(picture, 1, column)
        # The heat map of one class (chosen here) over the probe image: where the network thinks centres are.
        self._heat: np.ndarray | None = None
        self.heat_class = QComboBox()
        self.heat_class.setAccessibleName("Heat map class")
        self.heat_class.setToolTip("The class whose predicted heat map (sigmoid of its head channel) is shown.")
        self.heat_class.currentIndexChanged.connect(self._redraw)
        heat_caption = QLabel("&Heat map of")
        heat_caption.setBuddy(self.heat_class)
        heat_title = QHBoxLayout()
        heat_title.addStretch(1)
        heat_title.addWidget(heat_caption)
        heat_title.addWidget(self.heat_class)
        heat_title.addStretch(1)
        picture = QLabel()
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture.setMinimumSize(QSize(MIN_PICTURE_SIDE, MIN_PICTURE_SIDE))
        picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        picture.setAccessibleName("Class heat map")
        self.pictures["heat"] = picture
        pictures.addLayout(heat_title, 0, 2)
        pictures.addWidget(picture, 1, 2)
        pictures.setRowStretch(1, 1)  # the room goes to the pictures, not their titles
        for column in range(3):  # three equal columns: the heat map's class chooser must not squeeze the others
            pictures.setColumnStretch(column, 1)
        self.threshold, slider_row = threshold_slider(self, self._redraw)

        self.status = QLabel("Train a detection network: its boxes appear here while it learns.")
        self.status.setWordWrap(True)
        self.ap_plot = pg.PlotWidget(enableMenu=False)  # (built without the menu, not built then dropped)
        self.ap_plot.setAccessibleName("Validation AP per class")
        self.ap_plot.setMouseEnabled(False, False)
        self.ap_plot.setYRange(0, 1, padding=0.02)
        self.ap_plot.setFixedHeight(AP_PLOT_HEIGHT)
        self.ap_plot.setMinimumWidth(180)
        self.ap_plot.getPlotItem().hideButtons()
        self.bars: pg.BarGraphItem | None = None
        # mAP over the validated epochs: whether the boxes are still getting better.
        self.map_plot = self._small_plot("mAP over epochs", "mAP", unit_range=True)
        self.map_plot.addLegend(offset=(-4, 4))
        self.map_curves = {key: self.map_plot.plot([], [], name=name, symbol="o", symbolSize=5,
                                                   pen=pg.mkPen(colour, width=2), symbolBrush=colour)
                           for key, name, colour in (("map50", "mAP@0.5", plot_style.TRAIN_COLOUR),
                                                     ("map", "mAP@[.5:.95]", plot_style.VALIDATION_COLOUR))}
        self.map_history: dict[str, list[tuple[int, float]]] = {"map50": [], "map": []}
        # The loss's parts per epoch: which of the two (finding centres, sizing boxes) is still learning.
        self.loss_plot = self._small_plot("Loss parts over epochs", "loss")
        self.loss_plot.addLegend(offset=(-4, 4))
        self.loss_curves = {}
        for split, colour in (("train", plot_style.TRAIN_COLOUR), ("val", plot_style.VALIDATION_COLOUR)):
            for part, name, style in (("loss_heatmap", "heat map", Qt.PenStyle.SolidLine),
                                      ("loss_box", "box", Qt.PenStyle.DashLine)):
                key = f"{split}_{part}"
                self.loss_curves[key] = self.loss_plot.plot(
                    [], [], name=f"{split} {name}", symbol="o", symbolSize=4, symbolBrush=colour,
                    pen=pg.mkPen(colour, width=2, style=style))
        self.loss_history: dict[str, list[tuple[int, float]]] = {key: [] for key in self.loss_curves}
        # Each class's precision against recall at the last validated epoch (IoU 0.5): what a threshold trades.
        self.pr_plot = self._small_plot("Precision–recall per class", "precision", unit_range=True)
        self.pr_plot.setXRange(0, 1, padding=0.02)
        self.pr_plot.getPlotItem().setLabel("bottom", "recall")
        self.pr_legend = self.pr_plot.addLegend(offset=(-4, 4))
        self.pr_curves: list[pg.PlotDataItem | None] = []
        self.pr_epoch: int | None = None
        self.map_text = QLabel()
        self.map_text.setObjectName("mapText")
        self.map_text.setWordWrap(True)
        self.map_text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._style_plot()

        # The figures beside the AP bars, under the pictures: the bottom docks are wide and low, and the
        # pictures are what a run is watched for.
        scores = QHBoxLayout()
        scores.addWidget(self.map_text, 1)
        self.charts = QTabWidget()
        self.charts.setAccessibleName("Detection charts")
        self.charts.setDocumentMode(True)
        for plot, title in ((self.ap_plot, "AP per class"), (self.map_plot, "mAP"), (self.loss_plot, "Loss parts"),
                            (self.pr_plot, "Precision–recall")):
            self.charts.addTab(plot, title)
        scores.addWidget(self.charts, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(pictures, 1)
        layout.addLayout(slider_row)
        layout.addWidget(self.status)
        layout.addLayout(scores)
        self.setAccessibleName("Boxes")

    # --- what the run sends ----------------------------------------------------------------

    def set_probe(self, image: np.ndarray, true_rows: np.ndarray, class_names: Sequence[str]) -> None:
        """The probe image (viewable uint8) and its padded true boxes (M, 5), at the start of a run."""
        self._image, self._true, self._predicted = image, true_boxes(true_rows), None
        self.class_names = list(class_names)
        self._heat = None
        self.heat_class.blockSignals(True)  # one redraw below, not one per class
        self.heat_class.clear()
        self.heat_class.addItems(self.class_names)
        self.heat_class.blockSignals(False)
        self.status.setText("Waiting for the first prediction…")
        self._redraw()

    def show_prediction(self, found: dict) -> None:
        """The probe image's boxes now (``engine.training.probe_boxes``), every score above the probe's floor."""
        self._predicted = as_drawn(found)
        self._heat = found.get("heat")
        self.frames_shown += 1
        self._redraw()

    def show_map(self, map50: float | None, map_all: float | None, per_class: Sequence[float | None],
                 epoch: int) -> None:
        """Validation mAP@0.5 and mAP@[.5:.95] after ``epoch``, and each class's AP (None: not measured)."""
        self.map_epoch = epoch
        if map50 is None:  # the run had no COCO evaluator (see engine.tasks.detection_ops.MISSING_BACKEND)
            self.map_text.setText(f"Epoch {epoch}: no mAP (no COCO evaluator installed).")
            return
        self._add_map_point(epoch, map50, map_all)
        values = [float("nan") if value is None else float(value) for value in per_class]
        heights = [0.0 if np.isnan(value) else value for value in values]
        if self.bars is not None:
            self.ap_plot.removeItem(self.bars)
        self.bars = pg.BarGraphItem(x=np.arange(len(heights)), height=heights, width=0.7,
                                    brush=pg.mkBrush(plot_style.TRAIN_COLOUR))
        self.ap_plot.addItem(self.bars)
        names = self.class_names or [f"class {index}" for index in range(len(heights))]
        self.ap_plot.getAxis("bottom").setTicks([[(index, name) for index, name in enumerate(names)]])
        self.ap_plot.setXRange(-0.6, len(heights) - 0.4, padding=0)
        parts = ", ".join(f"{name} {value:.2f}" for name, value in zip(names, values) if not np.isnan(value))
        self.map_text.setText(f"Epoch {epoch}: mAP@0.5 {map50:.3f} · mAP@[.5:.95] {map_all:.3f}"
                              + (f" (AP per class: {parts})" if parts else ""))
        self.ap_plot.setAccessibleDescription(self.map_text.text())

    def show_precision_recall(self, per_class: Sequence[Sequence[float] | None], epoch: int) -> None:
        """Each class's precision at evenly spaced recalls 0..1 (``val_pr``; None: the class was not validated)."""
        self._clear_pr()
        names = self.class_names or [f"class {index}" for index in range(len(per_class))]
        for label, (name, precision) in enumerate(zip(names, per_class)):
            if precision is None:
                self.pr_curves.append(None)
                continue
            colour = box_colour(label)
            self.pr_curves.append(self.pr_plot.plot(np.linspace(0, 1, len(precision)), np.asarray(precision),
                                                    name=name, pen=pg.mkPen(colour, width=2)))
        self.pr_epoch = epoch
        self.pr_plot.setAccessibleDescription(f"Precision against recall per class, epoch {epoch}, IoU 0.5.")

    def _clear_pr(self) -> None:
        for curve in self.pr_curves:
            if curve is not None:
                self.pr_plot.removeItem(curve)
        self.pr_curves, self.pr_epoch = [], None

    def show_loss_parts(self, metrics: dict) -> None:
        """An epoch's ``train_``/``val_loss_heatmap`` and ``_loss_box`` (None or absent: not measured)."""
        for key, curve in self.loss_curves.items():
            value = metrics.get(key)
            if value is None:
                continue
            history = [point for point in self.loss_history[key] if point[0] != metrics["epoch"]]
            self.loss_history[key] = history + [(metrics["epoch"], float(value))]
            curve.setData([x for x, _ in self.loss_history[key]], [y for _, y in self.loss_history[key]])

    def _add_map_point(self, epoch: int, map50: float, map_all: float) -> None:
        for key, value in (("map50", map50), ("map", map_all)):
            history = [point for point in self.map_history[key] if point[0] != epoch] + [(epoch, float(value))]
            self.map_history[key] = history
            self.map_curves[key].setData([x for x, _ in history], [y for _, y in history])

    def bar_heights(self) -> list[float]:
        return [] if self.bars is None else [float(value) for value in self.bars.opts["height"]]

    def clear(self) -> None:
        self._image, self._true, self._predicted, self._heat = None, DrawnBoxes.empty(), None, None
        self.frames_shown, self.map_epoch = 0, None
        if self.bars is not None:
            self.ap_plot.removeItem(self.bars)
            self.bars = None
        self.map_text.setText("")
        self._clear_pr()
        for histories, curves in ((self.map_history, self.map_curves), (self.loss_history, self.loss_curves)):
            for key, curve in curves.items():
                histories[key] = []
                curve.setData([], [])
        for picture in self.pictures.values():
            picture.clear()

    def visible_boxes(self) -> DrawnBoxes | None:
        """The predicted boxes drawn now (those at or above the threshold), or None before the first."""
        return None if self._predicted is None else self._predicted.above(self.threshold.value() / 100)

    # --- drawing -----------------------------------------------------------------------------

    def _redraw(self) -> None:
        if self._image is None:
            for picture in self.pictures.values():
                picture.clear()
            return
        ratio, side = self.devicePixelRatioF(), self.picture_side()
        self.pictures["true"].setPixmap(boxes_pixmap(self._image, self._true, self.class_names, side, ratio,
                                                     dashed=True))
        self.pictures["heat"].setPixmap(boxes_pixmap(self.heat_picture(), DrawnBoxes.empty(), [], side, ratio))
        shown = self.visible_boxes()
        if shown is None:
            self.pictures["predicted"].setPixmap(boxes_pixmap(self._image, DrawnBoxes.empty(), [], side, ratio))
            return
        self.pictures["predicted"].setPixmap(boxes_pixmap(self._image, shown, self.class_names, side, ratio))
        match = match_boxes(shown.boxes, shown.labels, self._true.boxes, self._true.labels)
        self.status.setText(f"Probe image, score ≥ {self.threshold.value() / 100:.2f}: {match.summary()} "
                            f"(IoU ≥ 0.5).")
        self.status.setAccessibleDescription(self.status.text())

    def heat_picture(self) -> np.ndarray | None:
        """The probe image with the chosen class's heat map over it (the bare image before the first prediction)."""
        if self._image is None:
            return None
        index = self.heat_class.currentIndex()
        if self._heat is None or not 0 <= index < len(self._heat):
            return self._image
        return heat_overlay(self._image, self._heat[index])

    def picture_side(self) -> QSize:
        """The square the pictures fill: as large as their labels allow, up to ``PICTURE_SIDE``."""
        sizes = [picture.size() for picture in self.pictures.values()]
        side = max(1, min(PICTURE_SIDE, *(size.width() for size in sizes), *(size.height() for size in sizes)))
        return QSize(side, side)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._redraw()

    def _small_plot(self, accessible_name: str, axis: str, unit_range: bool = False) -> pg.PlotWidget:
        """A low chart under the pictures, fixed: scores are read, not explored (``unit_range``: 0..1)."""
        plot = pg.PlotWidget(enableMenu=False)
        plot.setAccessibleName(accessible_name)
        plot.setMouseEnabled(False, False)
        if unit_range:
            plot.setYRange(0, 1, padding=0.02)
        plot.setFixedHeight(AP_PLOT_HEIGHT)
        plot.setMinimumWidth(180)
        plot.getPlotItem().hideButtons()
        plot.getPlotItem().setLabel("left", axis)
        return plot

    def _style_plot(self) -> None:
        for plot in (self.ap_plot, self.map_plot, self.loss_plot, self.pr_plot):
            plot_style.style_graphics_widget(plot, self)
            plot_style.style_plot(plot.getPlotItem(), self)
        self.ap_plot.getPlotItem().setLabel("left", "AP")

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if plot_style.is_palette_change(event):
            self._style_plot()
        super().changeEvent(event)
