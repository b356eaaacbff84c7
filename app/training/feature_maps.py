"""A grid of one node's activations, one small image per channel.

The engine's probe already scales each layer's activations to 0..255 (one
scale for all channels of the layer, so channels compare), so the images are
drawn with FIXED levels and a fixed colour map: a pixel's colour means the
same thing from frame to frame and the view never re-estimates levels.
All tiles live in one ViewBox; their ImageItems are reused while the node's
shape stays the same, so a live update is one ``setImage`` per channel.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from . import plot_style
from .receptive_view import ReceptiveFieldPicture

#: Channels drawn at most (wide layers show their first ones and say so).
MAX_CHANNELS = 64
#: Gap between tiles, as a fraction of a tile's size.
GAP = 0.12
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp)"


@dataclass(frozen=True)
class FeatureFrame:
    """One probe result: ``maps`` is (channels, height, width) uint8, already scaled per layer."""

    node_name: str
    maps: np.ndarray
    caption: str = ""


def as_channel_maps(maps) -> np.ndarray:
    """(C, H, W) uint8 from what a probe returns; a flat (F,) layer becomes one row per 32 values."""
    array = np.asarray(maps)
    if array.ndim == 1:  # a Dense layer: show its units as a strip of pixels
        width = min(32, array.shape[0]) or 1
        padded = np.zeros(math.ceil(array.shape[0] / width) * width, dtype=array.dtype)
        padded[: array.shape[0]] = array
        array = padded.reshape(1, -1, width)
    elif array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"feature maps must be (channels, height, width), got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.uint8)


class TileImage(pg.ImageItem):
    """An ImageItem for one tile of uint8 values already scaled to 0..255 and drawn with a fixed
    colour table: its QImage wraps the tile as Indexed8 with a colour table built once.

    pyqtgraph rebuilt the 256-entry colour table in Python for every tile of every frame
    (~0.4 ms a tile; a live frame of conv1 repainted six of them on the GUI thread). Anything else
    (float kernels, other levels) renders as pyqtgraph does.
    """

    def __init__(self, colour_table: list[int], **options) -> None:
        super().__init__(**options)
        self._colour_table = colour_table
        self._pixels: np.ndarray | None = None  # the memory the QImage wraps

    def render(self) -> None:
        image = self.image
        if (image is None or image.dtype != np.uint8 or image.ndim != 2 or self.axisOrder != "row-major"
                or self.levels is None or tuple(np.asarray(self.levels).ravel()) != (0, 255)):
            super().render()
            return
        pixels = np.ascontiguousarray(image)
        height, width = pixels.shape
        qimage = QImage(pixels.data, width, height, pixels.strides[0], QImage.Format.Format_Indexed8)
        qimage.setColorTable(self._colour_table)
        self._pixels, self.qimage = pixels, qimage
        self._renderRequired = self._unrenderable = False


def colour_table(lut: np.ndarray) -> list[int]:
    """A (256, 3 or 4) uint8 look-up table as QImage's colour table (opaque ARGB values)."""
    rgb = np.asarray(lut, dtype=np.uint32)[:, :3]
    return [int(value) for value in (0xFF000000 | rgb[:, 0] << 16 | rgb[:, 1] << 8 | rgb[:, 2])]


def grid_columns(count: int, tile_aspect: float = 1.0) -> int:
    """Columns that make a roughly square grid of ``count`` tiles of width/height ``tile_aspect``."""
    return max(1, math.ceil(math.sqrt(count / max(tile_aspect, 1e-6))))


class ChannelGrid(pg.GraphicsLayoutWidget):
    """Tiles of (C, H, W) uint8 images in one ViewBox, coloured with fixed levels, plus a colour bar."""

    hovered = Signal(str)

    def __init__(self, colour_map: str = plot_style.ACTIVATION_COLOUR_MAP,
                 levels: tuple[float, float] = plot_style.FIXED_LEVELS,
                 scale_label: str = "activation, 0–255 per layer", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # One square per unit at every scale: a 28×28 map shows its 28×28 values, never interpolated.
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.levels = levels
        self.colour_map = plot_style.colour_map(colour_map)
        self._lut = self.colour_map.getLookupTable(nPts=256)
        self._colour_table = colour_table(self._lut)
        self.view = self.addViewBox(row=0, col=0, lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
        self.colour_bar = pg.ColorBarItem(values=levels, colorMap=self.colour_map, interactive=False, width=12)
        plot_style.cache_axis(self.colour_bar.axis)  # its ticks change with the levels, not with each frame
        self.addItem(self.colour_bar, row=0, col=1)
        self.colour_bar.axis.enableAutoSIPrefix(False)
        self.scale_label = scale_label
        self.apply_colours()
        self.image_items: list[pg.ImageItem] = []
        self._layout: tuple[int, ...] = ()
        #: Names a tile in the hover read-out (filters name theirs "filter 3, input 1").
        self.tile_name: Callable[[int], str] = lambda index: f"channel {index}"
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)

    def apply_colours(self) -> None:
        """Background and colour-bar axis in this widget's palette colours (again after a theme switch)."""
        plot_style.style_graphics_widget(self, self)
        text = plot_style.foreground(self)
        self.colour_bar.axis.setTextPen(pg.mkPen(text))
        self.colour_bar.axis.setPen(pg.mkPen(text))
        self.colour_bar.axis.setLabel(self.scale_label, color=text.name())
        self._fit_scale_label()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if plot_style.is_palette_change(event) and hasattr(self, "scale_label"):  # (not while being built)
            self.apply_colours()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if hasattr(self, "scale_label"):  # (not while being built)
            self._fit_scale_label()

    def _fit_scale_label(self) -> None:
        """The bar's caption only where it fits beside the bar: in a short panel (or at 2×) it ran past
        the bar's ends, cut off. It stays the bar's tooltip."""
        axis = self.colour_bar.axis
        room = axis.geometry().height() if axis.geometry().height() > 0 else self.height()
        axis.showLabel(self.fontMetrics().horizontalAdvance(self.scale_label) + 8 <= room)
        self.colour_bar.setToolTip(self.scale_label)

    def set_levels(self, levels: tuple[float, float], label: str | None = None) -> None:
        self.levels = levels
        self.colour_bar.setLevels(levels)
        if label:
            self.scale_label = label
            self.colour_bar.axis.setLabel(label, color=plot_style.foreground(self).name())
            self._fit_scale_label()
        for item in self.image_items:
            item.setLevels(levels)

    def set_maps(self, maps: np.ndarray, columns: int | None = None, group: int = 1) -> None:
        """Shows (C, H, W) tiles, ``columns`` per row (default: a square-ish grid), with a
        wider gap after every ``group`` columns (the tiles of one filter stay together).

        Reuses the items when the count, size and layout are unchanged.
        """
        count, height, width = maps.shape
        columns = columns or grid_columns(count, width / max(height, 1))
        layout = (count, height, width, columns, group)
        if layout != self._layout:
            self._layout_tiles(*layout)
        for item, channel in zip(self.image_items, maps):
            item.setImage(channel, autoLevels=False, levels=self.levels)

    def clear_maps(self) -> None:
        self._layout_tiles(0, 0, 0, 1, 1)

    def _layout_tiles(self, count: int, height: int, width: int, columns: int, group: int) -> None:
        for item in self.image_items:
            self.view.removeItem(item)
        self.image_items = []
        self._layout = (count, height, width, columns, group)
        if not count:
            return
        step_x, step_y = width * (1 + GAP), height * (1 + GAP)
        group_gap = width * 2 * GAP if group > 1 else 0.0
        for index in range(count):
            item = TileImage(self._colour_table, axisOrder="row-major", lut=self._lut)
            row, column = divmod(index, columns)
            item.setPos(column * step_x + (column // group) * group_gap, row * step_y)
            self.view.addItem(item)
            self.image_items.append(item)
        rows = math.ceil(count / columns)
        right = (columns - 1) * step_x + ((columns - 1) // group) * group_gap + width
        self.view.setRange(xRange=(0, right), yRange=(0, rows * step_y - height * GAP), padding=0.02)

    def _on_mouse_moved(self, scene_pos) -> None:
        for index, item in enumerate(self.image_items):
            if item.sceneBoundingRect().contains(scene_pos) and item.image is not None:
                point = item.mapFromScene(scene_pos)
                y = min(int(point.y()), item.image.shape[0] - 1)
                x = min(int(point.x()), item.image.shape[1] - 1)
                self.hovered.emit(f"{self.tile_name(index)}, pixel ({x}, {y}): {item.image[y, x]:.4g}")
                return
        self.hovered.emit("")


class FeatureMapView(QWidget):
    """The selected node's feature maps, with a chooser for the probe image.

    Signals tell the training UI what to probe: ``probe_index_changed`` (an
    index into the validation images) and ``probe_file_chosen`` (an image
    file). The UI answers with ``show_frame``.
    """

    probe_index_changed = Signal(int)
    probe_file_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node_name: str | None = None
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.grid = ChannelGrid()
        self.grid.setAccessibleName("Feature maps")
        self.grid.setMinimumHeight(120)  # fits the dashboards' third of a 900 px window
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.grid.hovered.connect(self._show_hover)

        self.index_box = QSpinBox()
        self.index_box.setRange(0, 0)
        self.index_box.setPrefix("validation image #")
        self.index_box.setToolTip("Which validation image the feature maps are computed for.")
        self.index_box.setAccessibleName("Validation image")
        self.index_box.setAccessibleDescription(self.index_box.toolTip())
        self.index_box.valueChanged.connect(self.probe_index_changed)
        self.load_button = QPushButton("Load image…")
        self.load_button.setToolTip("Compute the feature maps for an image file of your own.")
        self.load_button.clicked.connect(self._choose_file)
        chooser = QHBoxLayout()
        chooser.addWidget(QLabel("Probe:"))
        chooser.addWidget(self.index_box, 1)
        chooser.addWidget(self.load_button)

        self.receptive = ReceptiveFieldPicture()
        maps = QHBoxLayout()
        maps.addWidget(self.grid, 1)
        maps.addWidget(self.receptive)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(maps, 1)
        layout.addWidget(self.status)
        layout.addLayout(chooser)
        self.show_placeholder("Click a layer on the canvas to see what it computes for one image.")

    @property
    def image_items(self) -> list[pg.ImageItem]:
        return self.grid.image_items

    def show_node(self, node_name: str | None) -> None:
        """Names the node whose maps come next (the grid keeps the old maps until they arrive)."""
        if node_name is not None and node_name == self.node_name and self.image_items:
            return  # the same node again (e.g. after a run): its maps stay until new ones come
        self.node_name = node_name
        if node_name is None:
            self.show_placeholder("Click a layer on the canvas to see what it computes for one image.")
        else:
            self.title.setText(f"{node_name}: waiting for the first image…")

    def set_probe_count(self, count: int) -> None:
        """How many validation images the index spinner offers."""
        self.index_box.setMaximum(max(0, count - 1))
        self.index_box.setEnabled(count > 0)

    def show_frame(self, frame: FeatureFrame) -> None:
        if self.node_name is not None and frame.node_name != self.node_name:
            return  # a late frame for a node the user has moved away from
        maps = as_channel_maps(frame.maps)
        total = maps.shape[0]
        shown = maps[:MAX_CHANNELS]
        self.grid.set_maps(shown)
        channels = f"{total} channels" if total <= MAX_CHANNELS else f"first {MAX_CHANNELS} of {total} channels"
        self.title.setText(f"{frame.node_name}: {channels} of {maps.shape[1]}×{maps.shape[2]}"
                           + (f" — {frame.caption}" if frame.caption else ""))
        # One short line: in a low dock a wrapped caption ran over the bottom row of maps.
        self.status.setText("Colour: 0 = the layer's lowest, 255 = its highest activation")
        self.status.setToolTip("Viridis colour map with one scale per layer, so its channels compare.")

    def show_placeholder(self, text: str) -> None:
        self.grid.clear_maps()
        self.title.setText(text)
        self.status.clear()

    def _show_hover(self, text: str) -> None:
        if text:
            self.status.setText(text)

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Probe image", "", IMAGE_FILTER)
        if path:
            self.probe_file_chosen.emit(path)
