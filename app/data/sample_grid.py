"""A virtualised grid of samples: the view asks only for the thumbnails it paints, and the model decodes
each on first request and keeps the most recent ones, so 60,000 images scroll without being loaded."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QWidget

from engine.data.errors import DatasetError
from engine.data.sample_index import SPLIT_NAMES, SampleIndex

from ..training.pictures import fitted_pixmap, to_qimage

THUMB_SIDE = 48  # logical px: an MNIST digit at under twice its size
CACHE_SIZE = 4000  # thumbnails kept (a few screens' worth)
SAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1  # the sample's index in the SampleIndex


class SampleGridModel(QAbstractListModel):
    """The samples that pass the class and split filters, in order; thumbnails made on request."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.samples: SampleIndex | None = None
        self.rows = np.zeros(0, dtype=np.int64)  # sample index of each row
        self.ratio = 1.0
        self._cache: OrderedDict[int, QPixmap] = OrderedDict()
        self.decoded = 0  # thumbnails made so far (tests check that scrolling does not make them all)

    def set_samples(self, samples: SampleIndex | None, ratio: float = 1.0) -> None:
        self.beginResetModel()
        self.samples, self.ratio = samples, ratio
        self._cache.clear()
        self.rows = np.arange(len(samples), dtype=np.int64) if samples is not None else np.zeros(0, np.int64)
        self.endResetModel()

    def set_filter(self, split: int | None, label: int | None) -> None:
        if self.samples is None:
            return
        self.beginResetModel()
        self.rows = self.samples.indices(split, label)
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008 - Qt's name and default
        return 0 if parent.isValid() else int(self.rows.shape[0])

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.samples is None:
            return None
        sample = int(self.rows[index.row()])
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(sample)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.describe(sample)
        if role == SAMPLE_ROLE:
            return sample
        return None

    def describe(self, sample: int) -> str:
        samples = self.samples
        assert samples is not None
        label = samples.labels[sample]
        what = samples.class_names[label] if label >= 0 else samples.target
        return f"{samples.names[sample]}: {what}, {SPLIT_NAMES[samples.split[sample]]}"

    def _thumbnail(self, sample: int) -> QPixmap:
        cached = self._cache.get(sample)
        if cached is not None:
            self._cache.move_to_end(sample)
            return cached
        assert self.samples is not None
        try:
            image = self.samples.image(sample)
            picture = image[..., 0] if image.shape[-1] == 1 else image
            pixmap = fitted_pixmap(to_qimage(picture), QSize(THUMB_SIDE, THUMB_SIDE), self.ratio)
        except DatasetError:  # listed as readable, yet it fails now (changed on disk): a red square
            pixmap = QPixmap(THUMB_SIDE, THUMB_SIDE)
            pixmap.fill(QColor("#b03030"))
        self.decoded += 1
        self._cache[sample] = pixmap
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return pixmap


class SampleGrid(QListView):
    """The grid; ``sample_chosen(index)`` when the user picks a sample (click, Enter, arrows)."""

    sample_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid_model = SampleGridModel(self)
        self.setModel(self.grid_model)
        # List mode flowing left to right and wrapping is a grid whose layout, with uniform item sizes, is
        # arithmetic: 60,000 items cost no per-item geometry (icon mode keeps a rectangle per item).
        self.setViewMode(QListView.ViewMode.ListMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(True)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.setGridSize(QSize(THUMB_SIDE + 6, THUMB_SIDE + 6))
        self.setSpacing(0)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAccessibleName("Samples")
        self.selectionModel().currentChanged.connect(self._current_changed)

    def set_samples(self, samples: SampleIndex | None) -> None:
        self.grid_model.set_samples(samples, self.devicePixelRatioF())

    def moveCursor(self, action, modifiers) -> QModelIndex:  # noqa: N802 - Qt override
        """Home and End go to the first and the last sample (a wrapping list's own End stays in the row)."""
        rows = self.model().rowCount()
        if rows and action == QAbstractItemView.CursorAction.MoveEnd:
            return self.model().index(rows - 1, 0)
        if rows and action == QAbstractItemView.CursorAction.MoveHome:
            return self.model().index(0, 0)
        return super().moveCursor(action, modifiers)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.sample_chosen.emit(int(current.data(SAMPLE_ROLE)))
