"""Grad-CAM beside an image: a heat map of what drove a class, with a class and a layer chooser.

``GradCamPanel`` only shows: its owner (``GradCamExplainer``) computes the
engine's map off the GUI thread and hands it over with ``show_result``.
The map is blended over the image as the network sees it (the input's size
and colours), so each heat-map pixel sits on the pixel it explains.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.explain.methods import MEANINGS, METHODS

if TYPE_CHECKING:  # imports torch, which the first window never waits for
    from engine.explain.gradcam import GradCam

from . import plot_style
from .pictures import fitted_pixmap, to_qimage

IMAGE_SIZE = 128
#: Perceptually even and readable on grey images; dark where nothing counted, bright where most did.
HEAT_COLOUR_MAP = "inferno"
#: How much the heat map covers the image, from cold (0) to hot (1) regions: cold ones stay readable,
#: slightly dimmed, hot ones glow.
COLD_ALPHA, HOT_ALPHA = 0.15, 0.75


def heat_colours() -> np.ndarray:
    """(256, 3) uint8 lookup table of the heat colour map."""
    return plot_style.colour_map(HEAT_COLOUR_MAP).getLookupTable(0.0, 1.0, 256, alpha=False).astype(np.uint8)


def blend_heatmap(image: np.ndarray, heatmap: np.ndarray) -> np.ndarray:
    """``image`` (H, W) grey or (H, W, 3) uint8 under ``heatmap`` (H, W) 0..1, coloured: (H, W, 3) uint8."""
    heat = np.clip(heatmap, 0.0, 1.0).astype(np.float32)
    base = as_rgb(image).astype(np.float32)
    colours = heat_colours()[np.rint(heat * 255).astype(np.intp)].astype(np.float32)
    alpha = (COLD_ALPHA + (HOT_ALPHA - COLD_ALPHA) * heat)[..., None]
    return np.rint((1 - alpha) * base + alpha * colours).astype(np.uint8)


def as_rgb(image: np.ndarray) -> np.ndarray:
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


class GradCamPanel(QWidget):
    """The image with its heat map, a class chooser, a layer chooser and a show/hide switch."""

    choice_changed = Signal()
    """The user picked another class or layer: the map must be computed again."""

    def __init__(self, parent: QWidget | None = None, image_size: int = IMAGE_SIZE,
                 controls_beside: bool = False) -> None:
        super().__init__(parent)
        self.image_size = image_size
        self.image_label = QLabel()
        self.image_label.setObjectName("gradcamImage")
        self.image_label.setFixedSize(image_size, image_size)
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setFrameShape(QLabel.Shape.StyledPanel)
        self.image_label.setWordWrap(True)
        self.class_box = QComboBox()
        self.class_box.setObjectName("gradcamClass")
        self.class_box.setToolTip("The class whose evidence the heat map shows (at first the predicted one)")
        self.method_box = QComboBox()
        self.method_box.setObjectName("attributionMethod")
        for method, title in METHODS.items():
            self.method_box.addItem(title, method)
            self.method_box.setItemData(self.method_box.count() - 1, MEANINGS[method], Qt.ItemDataRole.ToolTipRole)
        self.method_box.setToolTip("How the map is computed: Grad-CAM from a convolution's maps, or the input "
                                   "pixels' share of the score (Integrated Gradients, Saliency, Occlusion, "
                                   "from captum)")
        self.method_box.activated.connect(self._on_method)
        self.node_box = QComboBox()
        self.node_box.setObjectName("gradcamLayer")
        self.node_box.setToolTip("The convolution the map is seen from: the last one sees whole parts, "
                                 "earlier ones finer detail")
        for box in (self.class_box, self.method_box, self.node_box):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(12)  # "airplane (predicted)" stays readable
            box.activated.connect(self._on_choice)  # user choices only, not programmatic ones
        self.show_box = QCheckBox("Heat map")
        self.show_box.setObjectName("gradcamShow")
        self.show_box.setChecked(True)
        self.show_box.setToolTip("Grad-CAM: bright where the regions drove the chosen class, dark where "
                                 "they did not")
        self.show_box.toggled.connect(self._render)

        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Class", self.class_box)
        form.addRow("Method", self.method_box)
        form.addRow("Layer", self.node_box)
        form.addRow(self.show_box)
        # Beside the image where height is short (the gallery), below it where width is (Try an Image).
        layout = QHBoxLayout(self) if controls_beside else QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.image_label, 0, Qt.AlignmentFlag.AlignTop if controls_beside
                         else Qt.AlignmentFlag.AlignHCenter)
        if controls_beside:
            column = QVBoxLayout()
            column.addLayout(form)
            column.addStretch(1)
            layout.addLayout(column)
        else:
            layout.addLayout(form)
            layout.addStretch(1)

        self.class_names: list[str] = []
        self.image: np.ndarray | None = None
        self.result: GradCam | None = None
        self.displayed: np.ndarray | None = None
        """The (H, W, 3) picture on the label before scaling (the image, with the heat map when shown)."""
        self._set_choosable(False)

    # --- what the owner calls ------------------------------------------------------------------

    def set_network(self, class_names: Sequence[str], conv_nodes: Sequence[str]) -> None:
        """New network: its classes, and its convolutions (the last chosen, or the one chosen before)."""
        previous = self.chosen_node()
        self.class_names = list(class_names)
        self.class_box.clear()
        self.class_box.addItems(self.class_names)
        self.node_box.clear()
        self.node_box.addItems(list(conv_nodes))
        self.node_box.setCurrentIndex(conv_nodes.index(previous) if previous in conv_nodes else len(conv_nodes) - 1)
        self.result = None
        self._set_choosable(bool(conv_nodes))

    def chosen_class(self) -> int | None:
        return self.class_box.currentIndex() if self.class_box.currentIndex() >= 0 else None

    def chosen_method(self) -> str:
        return self.method_box.currentData()

    def chosen_node(self) -> str | None:
        return self.node_box.currentText() or None

    def show_image(self, image: np.ndarray) -> None:
        """A new image, without a map yet (one is on its way)."""
        self.image, self.result = image, None
        self._render()

    def show_picture(self, picture: QPixmap) -> None:
        """A picture to show until the image as the network sees it arrives with its map."""
        self.image = self.result = self.displayed = None
        self.image_label.setPixmap(self._fitted(picture.toImage()))

    def show_result(self, image: np.ndarray, result: GradCam) -> None:
        self.image, self.result = image, result
        for index, name in enumerate(self.class_names):
            self.class_box.setItemText(index, f"{name} (predicted)" if index == result.predicted else name)
        self.class_box.setCurrentIndex(result.class_index)
        method = self.chosen_method()
        if method == "gradcam":
            self.node_box.setCurrentText(result.node)
            self.image_label.setToolTip(f"Grad-CAM of “{self._class_name(result.class_index)}” seen from "
                                        f"{result.node}: the brighter, the more that region raised the score")
        else:
            self.image_label.setToolTip(f"{METHODS[method]} of “{self._class_name(result.class_index)}”: "
                                        f"{MEANINGS[method]}")
        self._render()

    def show_message(self, text: str) -> None:
        self.image = self.result = self.displayed = None
        self.image_label.clear()
        self.image_label.setText(text)
        self.image_label.setToolTip(text)

    @property
    def heatmap(self) -> np.ndarray | None:
        return self.result.heatmap if self.result is not None else None

    # --- inside ------------------------------------------------------------------------------

    def _on_method(self, _index: int) -> None:
        # The layer matters to Grad-CAM only.
        self.node_box.setEnabled(self.method_box.isEnabled() and self.chosen_method() == "gradcam")

    def _on_choice(self, _index: int) -> None:
        if self.image is not None:
            self.choice_changed.emit()

    def _class_name(self, index: int) -> str:
        return self.class_names[index] if index < len(self.class_names) else f"class {index}"

    def _set_choosable(self, enabled: bool) -> None:
        for widget in (self.class_box, self.method_box, self.node_box, self.show_box):
            widget.setEnabled(enabled)
        self._on_method(0)

    def _render(self) -> None:
        if self.image is None:
            return
        overlay = self.result is not None and self.show_box.isChecked()
        self.displayed = blend_heatmap(self.image, self.result.heatmap) if overlay else as_rgb(self.image)
        self.image_label.setPixmap(self._fitted(to_qimage(self.displayed)))

    def _fitted(self, image: QImage) -> QPixmap:
        """At the screen's pixel ratio: small inputs grow with crisp pixels, large ones shrink smoothly."""
        side = self.image_size - 4
        return fitted_pixmap(image, QSize(side, side), self.image_label.devicePixelRatioF())
