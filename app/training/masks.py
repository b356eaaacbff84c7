"""The Masks dashboard of a segmentation run: the probe image, its true mask and the predicted one, live.

While a segmentation network trains, the worker predicts the probe image's
mask a few times a second (pulled, like the feature maps: see
``worker.take_output``); this view draws it as a colour overlay on the image
(the opacity slider blends image and mask), beside the true mask, so the
user watches the predicted mask sharpen. Each validated epoch fills the
per-class IoU bars (and the mean IoU) from the run's torchmetrics figures.
Masks are drawn one square per pixel (nearest neighbour): each square is a
class the network chose.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSlider, QVBoxLayout, QWidget

from engine.tasks.segmentation import IGNORE_INDEX, PALETTE

from . import plot_style
from .pictures import fitted_pixmap, to_qimage

#: Logical px of each picture's side (the dock may be small; the pictures grow crisp, never blurred).
PICTURE_SIDE = 150
DEFAULT_OPACITY = 55  # % of the mask over the image: both stay visible
_COLOURS = np.array(PALETTE, dtype=np.float32)


def colour_mask(mask: np.ndarray) -> np.ndarray:
    """(H, W) class indices → (H, W, 3) uint8 colours (the predicted-mask PNGs' palette)."""
    return _COLOURS[np.asarray(mask, dtype=np.int64) % len(_COLOURS)].astype(np.uint8)


def overlay(image: np.ndarray, mask: np.ndarray, opacity: float, ignore: int | None = None) -> np.ndarray:
    """``image`` ((H, W) grey or (H, W, 3) uint8) with ``mask``'s colours blended in at ``opacity`` (0..1).
    Pixels equal to ``ignore`` (unlabelled) keep the image."""
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image
    rgb = rgb.astype(np.float32)
    colours = colour_mask(mask).astype(np.float32)
    alpha = np.full(mask.shape + (1,), opacity, dtype=np.float32)
    if ignore is not None:
        alpha[mask == ignore] = 0.0
    return (rgb * (1 - alpha) + colours * alpha).round().clip(0, 255).astype(np.uint8)


class MaskView(QWidget):
    """``set_probe(image, true_mask)``, ``show_prediction(mask)``, ``show_iou(ious, names, epoch)``, ``clear``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: np.ndarray | None = None
        self._true: np.ndarray | None = None
        self._predicted: np.ndarray | None = None
        self.frames_shown = 0  # predicted masks drawn since the run began
        self.iou_epoch: int | None = None  # the epoch the IoU bars show
        self.ignore_index: int | None = IGNORE_INDEX

        self.pictures: dict[str, QLabel] = {}
        captions = (("image", "Probe image"), ("true", "True mask"), ("predicted", "Predicted mask"))
        pictures = QGridLayout()
        for column, (key, caption) in enumerate(captions):
            picture = QLabel()
            picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
            picture.setMinimumSize(QSize(96, 96))
            picture.setAccessibleName(caption)
            self.pictures[key] = picture
            title = QLabel(caption)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            pictures.addWidget(title, 0, column)
            pictures.addWidget(picture, 1, column)

        self.opacity = QSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0, 100)
        self.opacity.setValue(DEFAULT_OPACITY)
        self.opacity.setAccessibleName("Mask opacity")
        self.opacity.setToolTip("How strongly the masks cover the image (0 %: only the image, 100 %: only "
                                "the mask).")
        self.opacity.valueChanged.connect(lambda _value: self._redraw())
        opacity_label = QLabel("Mask &opacity")
        opacity_label.setBuddy(self.opacity)
        slider_row = QHBoxLayout()
        slider_row.addWidget(opacity_label)
        slider_row.addWidget(self.opacity, 1)

        self.status = QLabel("Train a segmentation network: its predicted mask appears here while it learns.")
        self.status.setWordWrap(True)
        self.iou_plot = pg.PlotWidget(enableMenu=False)  # (built without the menu, not built then dropped)
        self.iou_plot.setAccessibleName("Validation IoU per class")
        self.iou_plot.setMouseEnabled(False, False)
        self.iou_plot.setYRange(0, 1, padding=0.02)
        self.iou_plot.setMinimumHeight(120)
        self.iou_plot.getPlotItem().hideButtons()
        self.bars: pg.BarGraphItem | None = None
        self.iou_text = QLabel()
        self.iou_text.setWordWrap(True)
        self._style_plot()

        layout = QVBoxLayout(self)
        layout.addLayout(pictures)
        layout.addLayout(slider_row)
        layout.addWidget(self.status)
        layout.addWidget(self.iou_plot, 1)
        layout.addWidget(self.iou_text)
        self.setAccessibleName("Masks")

    # --- what the run sends ----------------------------------------------------------------

    def set_probe(self, image: np.ndarray, true_mask: np.ndarray | None) -> None:
        """The probe image (viewable uint8) and its true mask (class indices), at the start of a run."""
        self._image, self._true, self._predicted = image, true_mask, None
        self.status.setText("Waiting for the first prediction…")
        self._redraw()

    def show_prediction(self, mask: np.ndarray) -> None:
        self._predicted = np.asarray(mask)
        self.frames_shown += 1
        if self._true is not None:
            labelled = self._true != self.ignore_index if self.ignore_index is not None else np.ones_like(
                self._true, dtype=bool)
            agree = (self._predicted == self._true) & labelled
            share = agree.sum() / max(1, labelled.sum())
            self.status.setText(f"Predicted mask of the probe image: {100 * share:.1f} % of its pixels right.")
            self.status.setAccessibleDescription(self.status.text())
        self._redraw()

    def show_iou(self, ious: list[float | None], class_names: list[str], epoch: int) -> None:
        """Each class's validation IoU after ``epoch`` (None: the class appeared in neither mask)."""
        self.iou_epoch = epoch
        values = [float("nan") if value is None else float(value) for value in ious]
        heights = [0.0 if np.isnan(value) else value for value in values]
        if self.bars is not None:
            self.iou_plot.removeItem(self.bars)
        self.bars = pg.BarGraphItem(x=np.arange(len(heights)), height=heights, width=0.7,
                                    brush=pg.mkBrush(plot_style.TRAIN_COLOUR))
        self.iou_plot.addItem(self.bars)
        axis = self.iou_plot.getAxis("bottom")
        axis.setTicks([[(index, name) for index, name in enumerate(class_names)]])
        self.iou_plot.setXRange(-0.6, len(heights) - 0.4, padding=0)
        known = [value for value in values if not np.isnan(value)]
        mean = sum(known) / len(known) if known else float("nan")
        parts = ", ".join(f"{name} {value:.2f}" for name, value in zip(class_names, values) if not np.isnan(value))
        self.iou_text.setText(f"Epoch {epoch}: mean IoU {mean:.3f} ({parts})")
        self.iou_plot.setAccessibleDescription(self.iou_text.text())

    def bar_heights(self) -> list[float]:
        return [] if self.bars is None else [float(value) for value in self.bars.opts["height"]]

    def clear(self) -> None:
        self._image = self._true = self._predicted = None
        self.frames_shown, self.iou_epoch = 0, None
        if self.bars is not None:
            self.iou_plot.removeItem(self.bars)
            self.bars = None
        self.iou_text.setText("")
        for picture in self.pictures.values():
            picture.clear()

    def predicted_mask(self) -> np.ndarray | None:
        return self._predicted

    def picture_array(self, key: str) -> np.ndarray | None:
        """What a picture shows, as (H, W, 3) uint8 at the data's size (tests and screenshots)."""
        return self._arrays().get(key)

    # --- drawing -----------------------------------------------------------------------------

    def _arrays(self) -> dict[str, np.ndarray]:
        if self._image is None:
            return {}
        opacity = self.opacity.value() / 100
        image = self._image if self._image.ndim == 3 else np.repeat(self._image[..., None], 3, axis=2)
        arrays = {"image": image}
        if self._true is not None:
            arrays["true"] = overlay(self._image, self._true, opacity, self.ignore_index)
        if self._predicted is not None:
            arrays["predicted"] = overlay(self._image, self._predicted, opacity)
        return arrays

    def _redraw(self) -> None:
        ratio = self.devicePixelRatioF()
        side = QSize(PICTURE_SIDE, PICTURE_SIDE)
        arrays = self._arrays()
        for key, picture in self.pictures.items():
            if key in arrays:
                picture.setPixmap(fitted_pixmap(to_qimage(arrays[key]), side, ratio))
            else:
                picture.clear()

    def _style_plot(self) -> None:
        plot_style.style_graphics_widget(self.iou_plot, self)
        plot_style.style_plot(self.iou_plot.getPlotItem(), self)
        self.iou_plot.getPlotItem().setLabel("left", "IoU")

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if plot_style.is_palette_change(event):
            self._style_plot()
        super().changeEvent(event)
