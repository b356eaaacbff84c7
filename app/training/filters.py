"""The learned kernels of a convolution: one tile per (filter, input channel).

Weights are signed, so they are drawn with a diverging colour map around
zero, with levels symmetric about zero and fixed for the whole layer
(±the largest magnitude): white is 0, red positive, blue negative.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .feature_maps import ChannelGrid
from .on_screen import behind_a_tab

#: Tiles drawn at most; wide layers show their first filters and input channels.
MAX_TILES = 96
MAX_INPUTS_SHOWN = 8
DIVERGING_MAP = "CET-D1A"


def kernel_tiles(weight: np.ndarray) -> tuple[np.ndarray, int, int]:
    """(out, in, kh, kw) weights → (tiles, filters shown, inputs shown); a row of tiles per filter."""
    weight = np.asarray(weight, dtype=np.float32)
    if weight.ndim != 4:
        raise ValueError(f"convolution weights must be (out, in, kh, kw), got shape {weight.shape}")
    inputs = min(weight.shape[1], MAX_INPUTS_SHOWN)
    filters = min(weight.shape[0], max(1, MAX_TILES // inputs))
    tiles = weight[:filters, :inputs].reshape(filters * inputs, weight.shape[2], weight.shape[3])
    return tiles, filters, inputs


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


class FiltersView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.grid = ChannelGrid(colour_map=DIVERGING_MAP, levels=(-1.0, 1.0), scale_label="weight")
        self.grid.setAccessibleName("Learned filters")
        self.grid.setMinimumHeight(120)  # fits the dashboards' third of a 900 px window
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.grid.hovered.connect(lambda text: self.status.setText(text) if text else None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.status)
        self._pending: tuple[str, np.ndarray] | None = None  # kernels kept while behind a tab
        self.show_placeholder("Click a Conv2d layer on the canvas to see its learned kernels.")

    @property
    def image_items(self):
        return self.grid.image_items

    def show_kernels(self, node_name: str, weight: np.ndarray) -> None:
        """``weight``: the convolution's (out_channels, in_channels, kh, kw) weights. Behind another
        tab the view only keeps the newest kernels (a live run sends them with every frame)."""
        self._pending = (node_name, weight)
        if not behind_a_tab(self):
            self.show_pending()

    def show_pending(self, visible: bool = True) -> None:
        """Draws the kernels kept while behind a tab (its dock's tab came to the front)."""
        if not visible or self._pending is None:
            return
        (node_name, weight), self._pending = self._pending, None
        tiles, filters, inputs = kernel_tiles(weight)
        out_channels, in_channels = np.shape(weight)[:2]
        bound = float(np.max(np.abs(tiles))) or 1.0
        self.grid.set_levels((-bound, bound), f"weight (±{bound:.3g})")
        self.grid.tile_name = lambda index: f"filter {index // inputs}, input channel {index % inputs}"
        # Several filters share a row when there are many, so the grid stays roughly square.
        filters_per_row = math.ceil(math.sqrt(filters / inputs))
        self.grid.set_maps(tiles, columns=filters_per_row * inputs, group=inputs)
        shown = []
        if filters < out_channels:
            shown.append(f"first {filters} of {out_channels} filters")
        if inputs < in_channels:
            shown.append(f"first {inputs} of {in_channels} input channels")
        self.title.setText(
            f"{node_name}: {_count(out_channels, 'filter')} × {_count(in_channels, 'input channel')} of "
            f"{tiles.shape[1]}×{tiles.shape[2]}"
            + (f" — each filter is {inputs} tiles side by side, one per input channel" if inputs > 1 else "")
            + (f" ({', '.join(shown)})" if shown else ""))
        self.status.setText("White is 0, red positive, blue negative; one scale for the whole layer.")

    def show_placeholder(self, text: str) -> None:
        self._pending = None
        self.grid.clear_maps()
        self.title.setText(text)
        self.status.clear()
