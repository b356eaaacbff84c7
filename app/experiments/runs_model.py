"""The runs table: one row per run folder, every column sortable (numbers as numbers)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QSortFilterProxyModel

from engine.experiments.listing import COLUMNS, RunRow
from engine.experiments.table_text import cell_text

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
"""A cell's value to sort by: the number itself (not its text), missing values lowest."""

_Index = QModelIndex | QPersistentModelIndex


class RunsTableModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[RunRow] = []

    def set_rows(self, rows: list[RunRow]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def row_of(self, folder: Path) -> int | None:
        return next((index for index, row in enumerate(self.rows) if row.folder == folder), None)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802 - Qt override
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(row, column)
        if role == SORT_ROLE:
            value = row.sort_key(column)[1]
            if isinstance(value, str):
                return value.lower()
            return float("-inf") if getattr(row, column) is None else float(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.problem or str(row.folder)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("epochs", "best", "parameters", "macs",
                                                                     "duration"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt override
                   role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][1]
        return None


def sorting_proxy(model: RunsTableModel) -> QSortFilterProxyModel:
    proxy = QSortFilterProxyModel(model)
    proxy.setSourceModel(model)
    proxy.setSortRole(SORT_ROLE)
    return proxy
