"""The quick-add popup: type a few letters, press Enter, get the block.

Opened with Shift+A (Edit ▸ Add Block) or a right-click on empty canvas. It lists every block type
(palette order), narrows the list as you type (title, type id, category and
summary all match), and emits ``chosen`` with the type id.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
)

from engine.catalogue import BlockSpec, blocks_by_category

from . import style

TYPE_ROLE = Qt.ItemDataRole.UserRole
CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1


class BlockRowDelegate(QStyledItemDelegate):
    """A row: the category's colour chip, the block title, and the category in muted text on the right."""

    ROW_HEIGHT = 26

    def sizeHint(self, option, index) -> QSize:
        return QSize(option.rect.width(), self.ROW_HEIGHT)

    def paint(self, painter: QPainter, option, index) -> None:
        painter.save()
        palette = option.palette
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = option.rect
        if selected:
            painter.fillRect(rect, palette.color(QPalette.ColorRole.Highlight))
        text = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        muted = style.mix(text, palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base),
                          0.4)
        category = index.data(CATEGORY_ROLE)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.accent(category))
        chip = QRectF(rect.left() + 8, rect.center().y() - 5, 10, 10)
        painter.drawRoundedRect(chip, 3, 3)
        inner = rect.adjusted(26, 0, -8, 0)
        painter.setPen(muted)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, category)
        painter.setPen(text)
        painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, index.data())
        painter.restore()


def matches(spec: BlockSpec, query: str) -> bool:
    haystack = " ".join((spec.title, spec.type_id, spec.category, spec.summary)).lower()
    return all(word in haystack for word in query.lower().split())


class QuickAddPopup(QFrame):
    chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add block…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setItemDelegate(BlockRowDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        for category, specs in blocks_by_category().items():
            for spec in specs:
                item = QListWidgetItem(spec.title)
                item.setData(TYPE_ROLE, spec.type_id)
                item.setData(CATEGORY_ROLE, category)
                item.setToolTip(spec.summary)
                self.list.addItem(item)
        self._specs = [spec for specs in blocks_by_category().values() for spec in specs]
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(lambda item: self._accept(item))
        self.search.installEventFilter(self)
        self.resize(300, 6 * 2 + 4 + self.search.sizeHint().height()
                    + BlockRowDelegate.ROW_HEIGHT * self.list.count() + 4)
        self._filter("")

    def popup(self, global_pos: QPoint) -> None:
        self.search.clear()
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def visible_types(self) -> list[str]:
        return [self.list.item(row).data(TYPE_ROLE) for row in range(self.list.count())
                if not self.list.item(row).isHidden()]

    def _filter(self, text: str) -> None:
        query = text.lower().strip()
        shown = []
        for row, spec in enumerate(self._specs):
            visible = matches(spec, query)
            self.list.item(row).setHidden(not visible)
            if visible:
                shown.append((self.list.item(row), spec))
        # Enter takes the first title that starts with the query, else the first match.
        best = next((item for item, spec in shown if spec.title.lower().startswith(query)),
                    shown[0][0] if shown else None)
        if best is None:
            self.list.setCurrentRow(-1)
        else:
            self.list.setCurrentItem(best)

    def _accept_current(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.isHidden():
            self._accept(item)

    def _accept(self, item: QListWidgetItem) -> None:
        self.hide()
        self.chosen.emit(item.data(TYPE_ROLE))

    def eventFilter(self, watched, event) -> bool:
        # Up/Down in the search field move through the list.
        if watched is self.search and event.type() == event.Type.KeyPress and event.key() in (
                Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.list.keyPressEvent(event)
            return True
        return super().eventFilter(watched, event)
