"""The confusion matrix as a heat map with counts, and a per-class accuracy table.

Rows are true classes, columns predicted ones (the engine's convention).
Cells are coloured by the share of the row (so a rare class's mistakes show
as clearly as a common one's) and labelled with the raw counts.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from . import plot_style
from .on_screen import on_screen
from ..theme import readable_on

#: Above this many classes the cells are too small for count labels.
MAX_LABELLED_CLASSES = 20
#: Logical px: below this the matrix is a strip whose class labels run into each other; the panel scrolls.
MATRIX_MIN_SIDE = 160
# Few images are drawn close to the plot's background, many far from it: white → blue on a light
# background, black → blue on a dark one (a near-white matrix would glare in the dark theme).
HEAT_MAPS = {"light": "CET-L12", "dark": "CET-L15"}


def row_shares(confusion: np.ndarray) -> np.ndarray:
    """Each row divided by its total (rows with no images stay 0)."""
    totals = confusion.sum(axis=1, keepdims=True).astype(np.float64)
    return np.divide(confusion, totals, out=np.zeros(confusion.shape, dtype=np.float64), where=totals > 0)


def per_class_rows(confusion: np.ndarray, class_names: list[str]) -> list[tuple[str, int, int, float | None]]:
    """(class, images, correct, accuracy or None) for each true class."""
    totals = confusion.sum(axis=1)
    hits = np.diagonal(confusion)
    return [(name, int(total), int(hit), (hit / total if total else None))
            for name, total, hit in zip(class_names, totals, hits)]


class CellCounts(pg.GraphicsObject):
    """The count in every cell, drawn by one item at screen size (not one TextItem per cell)."""

    def __init__(self) -> None:
        super().__init__()
        self.matrix: np.ndarray | None = None
        self.shares: np.ndarray | None = None
        self.colour_map = plot_style.colour_map(HEAT_MAPS["light"])  # the image's: each count reads on its cell
        self._pens: list[list[QColor]] = []
        self._readable: dict[int, QColor] = {}  # text colour per step of the colour map, found once

    def set_cells(self, matrix: np.ndarray | None, shares: np.ndarray) -> None:
        self.prepareGeometryChange()
        self.matrix, self.shares = matrix, shares
        # Once per matrix, not per repaint: 100 contrast checks took most of a repaint.
        self._pens = [] if matrix is None else [[self._text_colour(share) for share in row] for row in shares.tolist()]
        self.update()

    def _text_colour(self, share: float) -> QColor:
        step = round(255 * min(max(share, 0.0), 1.0))
        if step not in self._readable:
            self._readable[step] = readable_on(self.colour_map.mapToQColor(step / 255))
        return self._readable[step]

    def texts(self) -> list[list[str]]:
        """What each cell shows (empty for a zero count)."""
        if self.matrix is None:
            return []
        return [[str(count) if count else "" for count in row] for row in self.matrix.tolist()]

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        size = 0 if self.matrix is None else self.matrix.shape[0]
        return QRectF(0, 0, size, size)

    def paint(self, painter, option, widget=None) -> None:
        if self.matrix is None:
            return
        to_screen = painter.transform()
        cell = to_screen.map(QPointF(1, 1)) - to_screen.map(QPointF(0, 0))
        metrics = painter.fontMetrics()
        painter.save()
        painter.resetTransform()  # text at screen size, centred on each cell
        for row, line in enumerate(self.texts()):
            for column, text in enumerate(line):
                # In a small plot a count wider than its cell would run over its neighbours: the colour says enough.
                if not text or metrics.horizontalAdvance(text) + 2 > abs(cell.x()) or metrics.height() > abs(cell.y()):
                    continue
                centre = to_screen.map(QPointF(column + 0.5, row + 0.5))
                painter.setPen(self._pens[row][column])
                painter.drawText(QRectF(centre.x() - 40, centre.y() - 10, 80, 20), Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()


class ConfusionView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setAccessibleName("Confusion matrix")
        self.graphics.setAccessibleDescription("True classes in rows, predicted classes in columns; "
                                               "the table beside it lists each class's accuracy")
        self.plot = self.graphics.addPlot(enableMenu=False)  # (built without the menu, not built then dropped)
        self.apply_colours()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("left", "true class")
        self.plot.setLabel("bottom", "predicted class")
        self.graphics.setMinimumSize(MATRIX_MIN_SIDE, MATRIX_MIN_SIDE)
        self.class_names: list[str] = []
        self.plot.vb.sigResized.connect(self._thin_ticks)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.counts = CellCounts()
        self.plot.addItem(self.counts)
        self.apply_heat_map()

        self.table = QTableWidget(0, 4)
        self.table.setAccessibleName("Accuracy per class")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        self.table.setHorizontalHeaderLabels(["Class", "Images", "Correct", "Accuracy"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The last column takes what is left (stretchLastSection kept a width it had once, wider than
        # the table, and cut the accuracies behind the scroll bar).
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setSortingEnabled(False)

        # Matrix and table side by side in a wide dock, one above the other in a tall one.
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.graphics)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)
        self.confusion: np.ndarray | None = None
        self._pending: tuple | None = None
        self.title.setText("The confusion matrix appears after the first validation.")

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if plot_style.is_palette_change(event) and hasattr(self, "plot"):  # (not while being built)
            self.apply_colours()
            self.apply_heat_map()

    def apply_heat_map(self) -> None:
        """The colour map that suits the plot's background (light or dark theme)."""
        scheme = "dark" if plot_style.background(self).lightnessF() < 0.5 else "light"
        self.counts.colour_map = plot_style.colour_map(HEAT_MAPS[scheme])
        self.image.setColorMap(self.counts.colour_map)
        self.counts.update()

    def apply_colours(self) -> None:
        """Background and axes in this widget's palette colours (again after a theme switch)."""
        plot_style.style_graphics_widget(self.graphics, self)
        plot_style.style_plot(self.plot, self)
        self.plot.showGrid(x=False, y=False)  # (style_plot's grid would cross the cells)

    def show_confusion(self, confusion, class_names: list[str], caption: str = "") -> None:
        """``confusion``: (classes, classes) counts, row = true class, column = predicted.

        While the view is hidden (a tab behind the curves) it only keeps the matrix and
        draws it when shown, so training pays nothing for it.
        """
        matrix = np.asarray(confusion, dtype=np.int64)
        classes = matrix.shape[0]
        if matrix.shape != (classes, classes) or len(class_names) != classes:
            raise ValueError(f"confusion matrix {matrix.shape} does not match {len(class_names)} class names")
        self.confusion = matrix
        self._pending = (matrix, list(class_names), caption)
        if on_screen(self):
            self._draw_pending()

    def show_pending(self, visible: bool = True) -> None:
        """Draws the newest matrix kept while hidden (its dock's tab came to the front)."""
        if visible:
            self._draw_pending()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self._draw_pending()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        wide = event.size().width() > 1.2 * event.size().height()
        self.splitter.setOrientation(Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical)

    def _draw_pending(self) -> None:
        if self._pending is None:
            return
        (matrix, class_names, caption), self._pending = self._pending, None
        shares = row_shares(matrix)
        self.image.setImage(shares, autoLevels=False, levels=(0.0, 1.0))
        self._label_axes(class_names)
        self._label_counts(matrix, shares)
        self._fill_table(matrix, class_names)
        correct, total = int(np.trace(matrix)), int(matrix.sum())
        accuracy = f"{100 * correct / total:.1f} %" if total else "–"
        self.title.setText(f"Validation: {correct:,} of {total:,} images right ({accuracy})"
                           + (f" — {caption}" if caption else "")
                           + ". Colour: share of the true class's images; numbers: counts.")

    def _label_axes(self, class_names: list[str]) -> None:
        self.class_names = class_names
        self._thin_ticks()
        self.plot.setRange(xRange=(0, len(class_names)), yRange=(0, len(class_names)), padding=0)

    def _thin_ticks(self, *_args) -> None:
        """Every class named where the cells are big enough, else every second, third…: labels never overlap."""
        if not self.class_names:
            return
        metrics = self.graphics.fontMetrics()
        room = min(self.plot.vb.width(), self.plot.vb.height()) / len(self.class_names)  # px per cell
        widest = max(metrics.horizontalAdvance(name) for name in self.class_names)
        for axis, needed in (("left", metrics.height()), ("bottom", widest + metrics.averageCharWidth())):
            step = max(1, int(np.ceil(needed / max(room, 1.0))))
            ticks = [(index + 0.5, name) for index, name in enumerate(self.class_names) if index % step == 0]
            self.plot.getAxis(axis).setTicks([ticks])

    def _label_counts(self, matrix: np.ndarray, shares: np.ndarray) -> None:
        self.counts.set_cells(matrix if matrix.shape[0] <= MAX_LABELLED_CLASSES else None, shares)

    def _fill_table(self, matrix: np.ndarray, class_names: list[str]) -> None:
        rows = per_class_rows(matrix, class_names)
        self.table.setRowCount(len(rows))
        for row, (name, total, hits, accuracy) in enumerate(rows):
            values = (name, f"{total:,}", f"{hits:,}", "–" if accuracy is None else f"{100 * accuracy:.1f} %")
            for column, value in enumerate(values):
                self._set_cell(row, column, value, column == 3 and accuracy is not None and accuracy < 0.5)
        # The splitter must not squeeze the columns below their text ("airplane", "Accuracy").
        header = self.table.horizontalHeader()
        columns = sum(max(header.sectionSizeHint(column), self.table.sizeHintForColumn(column))
                      for column in range(self.table.columnCount()))
        frame = 2 * self.table.frameWidth() + self.table.verticalScrollBar().sizeHint().width()
        self.table.setMinimumWidth(columns + frame)

    def _set_cell(self, row: int, column: int, text: str, poor: bool) -> None:
        # The cells are made once and then only change their text: making 40 new items every epoch
        # (QTableWidget.setItem) held the GUI thread ~10 ms while a network trained.
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.table.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)
        foreground = plot_style.ERROR_COLOUR if poor else None
        if (item.data(Qt.ItemDataRole.ForegroundRole) is not None) != poor:
            item.setData(Qt.ItemDataRole.ForegroundRole, foreground)
