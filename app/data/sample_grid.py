"""A virtualised grid of samples: the view asks only for the thumbnails it paints, and the model decodes
each on first request and keeps the most recent ones, so 60,000 images scroll without being loaded."""
from __future__ import annotations

import time
from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPalette, QPen, QRegion
from PySide6.QtWidgets import QAbstractItemView, QListView, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from engine.data.errors import DatasetError
from engine.data.sample_index import SPLIT_NAMES, SampleIndex


THUMB_SIDE = 48  # logical px: an MNIST digit at under twice its size
CELL_MARGIN = 3
CELL_SIDE = THUMB_SIDE + 2 * CELL_MARGIN
CACHE_SIZE = 4000  # thumbnails kept (a few screens' worth)
#: decoding a frame may spend before the rest of its new cells show a placeholder, filled in right after:
#: an image file takes about half a millisecond to read, and a wheel notch uncovers dozens
DECODE_BUDGET_S = 0.008
SAMPLE_ROLE = Qt.ItemDataRole.UserRole + 1  # the sample's index in the SampleIndex


class SampleGridModel(QStringListModel):
    """The samples that pass the class and split filters, in order; thumbnails made on request.

    A string list model of empty strings underneath: Qt asks a list model for its row count several times
    per painted cell, and this way C++ answers, not Python. Only ``data`` is Python's."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.samples: SampleIndex | None = None
        self.rows = np.zeros(0, dtype=np.int64)  # sample index of each row
        self.count = 0
        self.ratio = 1.0  # device pixels per logical one: thumbnails are made at the screen's resolution
        self._cache: OrderedDict[int, QImage] = OrderedDict()
        self._placements: dict[tuple[int, int, float], QRectF] = {}
        self.selected_row = -1  # the row drawn framed (single selection)
        self.decoded = 0  # thumbnails made so far (tests check that scrolling does not make them all)

    def set_samples(self, samples: SampleIndex | None, ratio: float = 1.0) -> None:
        self.samples, self.ratio = samples, ratio
        self._cache.clear()
        self._show(np.arange(len(samples), dtype=np.int64) if samples is not None else np.zeros(0, np.int64))

    def set_filter(self, split: int | None, label: int | None) -> None:
        if self.samples is not None:
            self._show(self.samples.indices(split, label))

    def _show(self, rows: np.ndarray) -> None:
        self.rows, self.count, self.selected_row = rows, len(rows), -1
        self.setStringList([""] * self.count)  # resets the model

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.samples is None:
            return None
        sample = int(self.rows[index.row()])
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnail(sample)
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

    def cached(self, sample: int) -> QImage | None:
        """The sample's thumbnail if it is made already."""
        cached = self._cache.get(sample)
        if cached is not None:
            self._cache.move_to_end(sample)
        return cached

    def thumbnail(self, sample: int) -> QImage:
        """The sample as a QImage, made on first request; the latest CACHE_SIZE are kept."""
        cached = self._cache.get(sample)
        if cached is not None:
            self._cache.move_to_end(sample)
            return cached
        assert self.samples is not None
        try:
            thumbnail = _qimage(self.samples.image(sample))
            side = round(THUMB_SIDE * self.ratio)
            if thumbnail.width() > side or thumbnail.height() > side:
                # A photo is shrunk once, smoothed, to the cell's device pixels. A small image (MNIST) is kept
                # as it is: the painter grows it as it draws, each pixel a crisp square (as the network sees
                # it), which costs less than scaling every new thumbnail ahead.
                thumbnail = thumbnail.scaled(side, side, _KEEP_ASPECT, _SMOOTH_SCALE)
                thumbnail.setDevicePixelRatio(self.ratio)
        except DatasetError:  # listed as readable, yet it fails now (changed on disk): a red square
            thumbnail = QImage(4, 4, QImage.Format.Format_RGB888)
            thumbnail.fill(QColor("#b03030"))
        self.decoded += 1
        self._cache[sample] = thumbnail
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return thumbnail

    def placement(self, image: QImage) -> QRectF:
        """Where an image of this size goes in a cell at (0, 0), centred, small ones grown to the cell. Kept
        per size, not per thumbnail: a few shared rectangles, not thousands of objects for the collector."""
        key = (image.width(), image.height(), image.devicePixelRatio())
        rect = self._placements.get(key)
        if rect is None:
            width, height = key[0] / key[2], key[1] / key[2]
            grow = max(1.0, THUMB_SIDE / max(width, height))
            width, height = width * grow, height * grow
            rect = self._placements[key] = QRectF(CELL_MARGIN + (THUMB_SIDE - width) / 2,
                                                  CELL_MARGIN + (THUMB_SIDE - height) / 2, width, height)
        return rect


class CellSizeDelegate(QStyledItemDelegate):
    """Only says how large a cell is: the grid paints its cells itself (SampleGrid.paintEvent)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802 - Qt override
        return QSize(CELL_SIDE, CELL_SIDE)


# Qt's enum members looked up once: PySide6 resolves each attribute access anew, in Python.
_KEEP_ASPECT = Qt.AspectRatioMode.KeepAspectRatio
_SMOOTH_SCALE = Qt.TransformationMode.SmoothTransformation
_GREY, _RGB = QImage.Format.Format_Grayscale8, QImage.Format.Format_RGB888


def _qimage(pixels: np.ndarray) -> QImage:
    """(H, W, 1 or 3) uint8 → a QImage owning a copy (app.training.pictures.to_qimage, without its per-call
    enum look-ups: the grid makes hundreds a frame)."""
    height, width, channels = pixels.shape
    pixels = np.ascontiguousarray(pixels)
    return QImage(pixels.data, width, height, channels * width, _GREY if channels == 1 else _RGB).copy()


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
        self.setItemDelegate(CellSizeDelegate(self))
        self.setGridSize(QSize(CELL_SIDE, CELL_SIDE))
        self.setSpacing(0)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)  # (a string list model is editable)
        self.setDragEnabled(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAccessibleName("Samples")
        self.painted_cells = 0
        self.placeholders = 0  # cells the latest paint left as placeholders (their images come next)
        self.decode_budget_s = DECODE_BUDGET_S
        # rows drawn as placeholders, to paint again once the frame is out (rows, not places: a scroll
        # before then moves the placeholders' pixels)
        self._late: set[int] = set()
        self.selectionModel().currentChanged.connect(self._current_changed)
        self.selectionModel().selectionChanged.connect(self._selection_changed)

    def set_samples(self, samples: SampleIndex | None) -> None:
        self.grid_model.set_samples(samples, self.devicePixelRatioF())

    def columns(self) -> int:
        """Cells per line: the list flows left to right and wraps where the next cell would not fit."""
        return max(1, self.viewport().width() // CELL_SIDE)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        """Draws the cells in the dirty rectangles, placed by arithmetic (the layout of a wrapping list of equal
        cells). QListView's own painting costs a style option and a Python delegate call per cell, and it
        paints every cell meeting the dirty region's bounding rectangle: a scroll dirties the strip that came
        into view and the cell under the mouse (its hover state moved), which together span the screen."""
        model = self.grid_model
        if model.samples is None or not model.count:
            return
        columns, rows, count = self.columns(), model.rows, model.count
        top, left = self.verticalOffset(), self.horizontalOffset()
        painter = QPainter(self.viewport())
        cached, thumbnail, placement, draw = model.cached, model.thumbnail, model.placement, painter.drawImage
        painted = made = waiting = 0
        deadline = time.perf_counter() + self.decode_budget_s
        late: list[int] = []
        placeholder = self.palette().color(QPalette.ColorRole.AlternateBase)
        for rect in event.region():
            first_col = max(0, (rect.left() + left) // CELL_SIDE)
            last_col = min(columns - 1, (rect.right() + left) // CELL_SIDE)
            for line in range(max(0, (rect.top() + top) // CELL_SIDE), (rect.bottom() + top) // CELL_SIDE + 1):
                y = line * CELL_SIDE - top
                cols = range(first_col, min(last_col + 1, count - line * columns))
                for col in cols:
                    sample = int(rows[line * columns + col])
                    image = cached(sample)
                    if image is None:
                        if made and time.perf_counter() > deadline:  # (at least one a frame: it moves on)
                            cell = QRect(col * CELL_SIDE - left, y, CELL_SIDE, CELL_SIDE)
                            painter.fillRect(cell.adjusted(CELL_MARGIN, CELL_MARGIN, -CELL_MARGIN, -CELL_MARGIN),
                                             placeholder)
                            late.append(line * columns + col)
                            waiting += 1
                            continue
                        image = thumbnail(sample)
                        made += 1
                    draw(placement(image).translated(col * CELL_SIDE - left, y), image)
                painted += len(cols)
        self.placeholders = waiting
        if late:
            if not self._late:
                QTimer.singleShot(0, self, self._paint_late)
            self._late.update(late)
        self.painted_cells = painted  # cells drawn by the latest paint (tests check a scroll draws only the new)
        selected = model.selected_row
        if selected >= 0:  # the chosen sample gets the highlight colour's frame
            line, col = divmod(selected, columns)
            painter.setPen(QPen(self.palette().highlight().color(), 2))
            painter.drawRect(QRectF(col * CELL_SIDE - left, line * CELL_SIDE - top, CELL_SIDE, CELL_SIDE)
                             .adjusted(1, 1, -1, -1))
        painter.end()

    @property
    def filling_in(self) -> bool:
        """Whether cells on screen still show a placeholder (their images are painted next)."""
        return bool(self.placeholders or self._late)

    def _paint_late(self) -> None:
        """The cells a frame left as placeholders get their images, as soon as the frame is out."""
        late, self._late = self._late, set()
        columns, top, left = self.columns(), self.verticalOffset(), self.horizontalOffset()
        region = QRegion()
        for row in late:
            line, col = divmod(row, columns)
            region += QRect(col * CELL_SIDE - left, line * CELL_SIDE - top, CELL_SIDE, CELL_SIDE)
        region &= self.viewport().rect()
        if region.isEmpty():  # scrolled out of sight meanwhile: nothing waits
            self.placeholders = 0
        else:
            self.viewport().update(region)

    def moveCursor(self, action, modifiers) -> QModelIndex:  # noqa: N802 - Qt override
        """Home and End go to the first and the last sample (a wrapping list's own End stays in the row)."""
        rows = self.model().rowCount()
        if rows and action == QAbstractItemView.CursorAction.MoveEnd:
            return self.model().index(rows - 1, 0)
        if rows and action == QAbstractItemView.CursorAction.MoveHome:
            return self.model().index(0, 0)
        return super().moveCursor(action, modifiers)

    def _selection_changed(self, *_ranges) -> None:
        selected = self.selectionModel().selectedIndexes()
        self.grid_model.selected_row = selected[0].row() if selected else -1

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.sample_chosen.emit(int(current.data(SAMPLE_ROLE)))
