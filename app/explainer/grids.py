"""The explainer's two ways of drawing a grid of numbers: a table of cells, or a heat map.

``NumberGrid`` shows each value as text (editable where asked, with a border
of greyed padding cells); ``HeatMap`` draws large grids (images) as colours,
where per-cell numbers would be unreadable. Both take *marks*: which cells
the filter covers now, and which output cell it fills. Colours come from the
widget's palette, so both follow the light and dark themes.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from PySide6.QtCore import QEvent, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QImage, QPainter, QPalette, QPen
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QSizePolicy, QTableWidget, QTableWidgetItem, QWidget

from engine.explain.convolution import ExplainError, format_value, parse_value

from ..canvas.style import mix

Cell = tuple[int, int]

# Mark roles, per cell.
WINDOW = "window"            # under the filter now
WINDOW_PADDING = "window_padding"
PADDING = "padding"          # the zero border
CURRENT = "current"          # the output cell this step fills
PENDING = "pending"          # output cells later steps fill
POSITIVE_RED = QColor("#D03B3F")
NEGATIVE_BLUE = QColor("#2F6FEB")
MIN_MARK = 10.0  # px: the smallest current-cell frame a heat map draws


def diverging_lut(centre: QColor) -> np.ndarray:
    """(256, 3) uint8: blue for negative, ``centre`` (the theme's base) at 0, red for positive, the
    same hues as the tinted number cells."""
    ramp = np.linspace(0.0, 1.0, 128)[:, None]
    rgb = [np.array(colour.getRgb()[:3], dtype=np.float64) for colour in (NEGATIVE_BLUE, centre, POSITIVE_RED)]
    low = rgb[0] + (rgb[1] - rgb[0]) * ramp
    high = rgb[1] + (rgb[2] - rgb[1]) * ramp
    return np.round(np.concatenate([low, high])).astype(np.uint8)


def is_palette_change(event: QEvent) -> bool:
    return event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange)


class MarkColours:
    """Cell colours for one palette: (background, text) per mark role."""

    def __init__(self, palette: QPalette) -> None:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        self.dark = base.lightnessF() < 0.5
        self.base, self.text, self.accent = base, text, accent
        self.muted = mix(text, base, 0.5)
        padding = mix(base, text, 0.10 if self.dark else 0.07)
        self.roles: dict[str | None, tuple[QColor, QColor]] = {
            None: (base, text),
            WINDOW: (mix(base, accent, 0.32), text),
            WINDOW_PADDING: (mix(padding, accent, 0.22), self.muted),
            PADDING: (padding, self.muted),
            CURRENT: (accent, palette.color(QPalette.ColorRole.HighlightedText)),
            PENDING: (base, mix(text, base, 0.62)),
        }

    def signed(self, value: float, bound: float) -> QColor:
        """A weight's tint: red for positive, blue for negative, stronger with the magnitude."""
        if not bound or not value:
            return self.base
        return mix(self.base, POSITIVE_RED if value > 0 else NEGATIVE_BLUE, 0.38 * min(1.0, abs(value) / bound))


class NumberGrid(QTableWidget):
    """A grid of numbers; ``border`` rows/columns around it are padding (greyed, never editable).

    Signals: ``value_edited(row, col, value)`` in unpadded coordinates,
    ``edit_rejected(message)`` for text that is not a number, ``cell_chosen(row, col)``
    when a read-only cell is clicked.
    """

    value_edited = Signal(int, int, float)
    edit_rejected = Signal(str)
    cell_chosen = Signal(int, int)

    def __init__(self, editable: bool = False, signed_tint: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editable, self.signed_tint = editable, signed_tint
        self.values = np.zeros((0, 0))
        self.border = 0
        self.marks: dict[Cell, str] = {}
        self.cell_side = 36  # px: cell height, and the least width (wider numbers widen every column)
        self.cell_width = 0
        self._filling = False
        self.colours = MarkColours(self.palette())
        self.setTabKeyNavigation(False)  # Tab leaves the grid; arrows move between cells
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.hide()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
            header.setMinimumSectionSize(8)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWordWrap(False)
        if editable:
            self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                 | QAbstractItemView.EditTrigger.EditKeyPressed
                                 | QAbstractItemView.EditTrigger.AnyKeyPressed)
            self.setToolTip("Click a cell and type a number to change it")
        else:
            self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.itemChanged.connect(self._item_changed)
        self.cellClicked.connect(self._clicked)

    # --- content ------------------------------------------------------------------------------------

    def set_grid(self, values, border: int | tuple[int, int] = 0, marks: Mapping[Cell, str] | None = None) -> None:
        """Shows ``values`` (2-D, padding included); the outer ``border`` cells are padding."""
        values = np.asarray(values, dtype=np.float64)
        border = (border, border) if isinstance(border, int) else tuple(border)
        reshaped = values.shape != self.values.shape
        self.values, self.border, self.marks = values, border, dict(marks or {})
        self._filling = True
        try:
            if reshaped:
                self.setRowCount(values.shape[0])
                self.setColumnCount(values.shape[1])
            for row in range(values.shape[0]):
                for col in range(values.shape[1]):
                    item = self.item(row, col)
                    if item is None:
                        item = QTableWidgetItem()
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        self.setItem(row, col, item)
                    item.setText(format_value(values[row, col]))
                    flags = Qt.ItemFlag.ItemIsEnabled
                    if self.editable and not self.in_border(row, col):
                        flags |= Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsSelectable
                    item.setFlags(flags)
        finally:
            self._filling = False
        self._paint_cells()
        self._fit_size()

    def set_marks(self, marks: Mapping[Cell, str]) -> None:
        self.marks = dict(marks)
        self._paint_cells()

    def in_border(self, row: int, col: int) -> bool:
        rows, cols = self.values.shape
        (bh, bw) = self.border
        return row < bh or col < bw or row >= rows - bh or col >= cols - bw

    def text_at(self, row: int, col: int) -> str:
        item = self.item(row, col)
        return item.text() if item is not None else ""

    def mark_at(self, row: int, col: int) -> str | None:
        return self.marks.get((row, col), PADDING if self.in_border(row, col) else None)

    def _paint_cells(self) -> None:
        colours = self.colours
        bound = float(np.abs(self.values).max()) if self.values.size else 0.0
        self._filling = True
        try:
            for row in range(self.rowCount()):
                for col in range(self.columnCount()):
                    item = self.item(row, col)
                    role = self.mark_at(row, col)
                    background, foreground = colours.roles[role]
                    if role is None and self.signed_tint:
                        background = colours.signed(self.values[row, col], bound)
                    item.setBackground(QBrush(background))
                    item.setForeground(QBrush(foreground))
        finally:
            self._filling = False

    def set_cell_side(self, side: int, width: int = 0) -> None:
        """Cells ``side`` px tall and at least as wide (or ``width``, if larger; wide numbers widen them)."""
        if (side, width) != (self.cell_side, self.cell_width):
            self.cell_side, self.cell_width = side, width
            self._fit_size()

    def needed_width(self) -> int:
        """The narrowest column that fits every number."""
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(self.text_at(r, c))
                      for r in range(self.rowCount()) for c in range(self.columnCount())), default=0)
        return widest + 12

    def _fit_size(self) -> None:
        """Square cells, widened for long numbers; the table exactly as large as its cells."""
        height = max(self.cell_side, QFontMetrics(self.font()).height() + 10)
        width = max(height, self.cell_width, self.needed_width())
        for col in range(self.columnCount()):
            self.setColumnWidth(col, width)
        for row in range(self.rowCount()):
            self.setRowHeight(row, height)
        frame = 2 * self.frameWidth()
        self.setFixedSize(width * self.columnCount() + frame, height * self.rowCount() + frame)

    # --- editing -------------------------------------------------------------------------------------

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling:
            return
        row, col = item.row(), item.column()
        try:
            value = parse_value(item.text())
        except ExplainError as error:
            self._filling = True
            item.setText(format_value(self.values[row, col]))  # the old value stays
            self._filling = False
            self.edit_rejected.emit(str(error))
            return
        self.values[row, col] = value
        self._filling = True
        item.setText(format_value(value))
        self._filling = False
        self.value_edited.emit(row - self.border[0], col - self.border[1], value)

    def _clicked(self, row: int, col: int) -> None:
        item = self.item(row, col)
        if self.editable and item is not None and item.flags() & Qt.ItemFlag.ItemIsEditable:
            self.editItem(item)  # one click edits: these grids are made to be changed
        elif not self.editable:
            self.cell_chosen.emit(row, col)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if is_palette_change(event) and hasattr(self, "values"):
            self.colours = MarkColours(self.palette())
            self._paint_cells()


class HeatMap(QWidget):
    """A large grid as colours, with the filter's window outlined and the current cell framed.

    ``set_values`` takes the values, a (256, 3) uint8 colour table and the
    levels mapped to its ends; ``border`` cells are padding (dimmed).
    ``cell_chosen(row, col)`` reports clicks, in the grid's coordinates.
    """

    cell_chosen = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.zeros((0, 0))
        self.border = (0, 0)
        self.taps: list[Cell] = []
        self.current: Cell | None = None
        self._image: QImage | None = None
        self._pixels: np.ndarray | None = None
        self.setMinimumSize(120, 120)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def sizeHint(self) -> QSize:
        return QSize(300, 300)

    def set_values(self, values, lut: np.ndarray, levels: tuple[float, float], border: tuple[int, int] = (0, 0)) -> None:
        values = np.asarray(values, dtype=np.float64)
        low, high = levels
        scale = 255.0 / (high - low) if high > low else 0.0
        indexes = np.clip((values - low) * scale, 0, 255).astype(np.uint8)
        self._pixels = np.ascontiguousarray(lut[indexes][..., :3], dtype=np.uint8)
        height, width = values.shape
        self._image = QImage(self._pixels.data, width, height, 3 * width, QImage.Format.Format_RGB888)
        self.values, self.border = values, border
        self.update()

    def set_marks(self, taps: Iterable[Cell] = (), current: Cell | None = None) -> None:
        self.taps, self.current = list(taps), current
        self.update()

    def _cells_rect(self) -> tuple[QRectF, float]:
        rows, cols = self.values.shape
        if not rows or not cols:
            return QRectF(), 0.0
        side = min(self.width() / cols, self.height() / rows)
        width, height = side * cols, side * rows
        return QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height), side

    def cell_at(self, x: float, y: float) -> Cell | None:
        rect, side = self._cells_rect()
        if not side or not rect.contains(x, y):
            return None
        return int((y - rect.top()) // side), int((x - rect.left()) // side)

    def mousePressEvent(self, event) -> None:
        cell = self.cell_at(event.position().x(), event.position().y())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self.cell_chosen.emit(*cell)
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:
        if self._image is None:
            return
        painter = QPainter(self)
        rect, side = self._cells_rect()
        painter.drawImage(rect, self._image)  # nearest-neighbour: every cell stays a crisp square
        colours = MarkColours(self.palette())
        rows, cols = self.values.shape
        bh, bw = self.border
        if bh or bw:  # dim the zero border so the real input stands out
            veil = QColor(colours.base)
            veil.setAlpha(150)
            inner = QRectF(rect.left() + bw * side, rect.top() + bh * side, (cols - 2 * bw) * side,
                           (rows - 2 * bh) * side)
            for band in (QRectF(rect.left(), rect.top(), rect.width(), inner.top() - rect.top()),
                         QRectF(rect.left(), inner.bottom(), rect.width(), rect.bottom() - inner.bottom()),
                         QRectF(rect.left(), inner.top(), inner.left() - rect.left(), inner.height()),
                         QRectF(inner.right(), inner.top(), rect.right() - inner.right(), inner.height())):
                painter.fillRect(band, veil)
        if self.taps:
            top = min(r for r, _c in self.taps)
            left = min(c for _r, c in self.taps)
            bottom = max(r for r, _c in self.taps) + 1
            right = max(c for _r, c in self.taps) + 1
            tint = QColor(colours.accent)
            tint.setAlpha(90)
            for row, col in self.taps:
                painter.fillRect(QRectF(rect.left() + col * side, rect.top() + row * side, side, side), tint)
            pen = QPen(colours.accent, 2)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.drawRect(QRectF(rect.left() + left * side, rect.top() + top * side,
                                    (right - left) * side, (bottom - top) * side))
        if self.current is not None:
            row, col = self.current
            outline = max(2.0, min(3.0, side / 4))
            painter.setPen(QPen(colours.text, outline + 2))
            grow = max(0.0, (MIN_MARK - side) / 2)  # tiny cells get a marker one can see
            cell = QRectF(rect.left() + col * side - grow, rect.top() + row * side - grow, side + 2 * grow,
                          side + 2 * grow)
            painter.drawRect(cell)
            painter.setPen(QPen(colours.accent, outline))
            painter.drawRect(cell)
        painter.end()
