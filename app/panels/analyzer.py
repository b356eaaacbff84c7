"""Model ▸ Analyze: the whole network as a sortable table, like Deep Network Designer's analyzer.

One row per layer (name, type, output shape, parameters, MACs, issues), the
same rows ``convcanvas summary`` prints (``engine.layer_table``). Headers
sort by the numbers themselves, not their text; "#" returns to the flow
order. The table follows every edit while it is open; double-clicking a
row emits ``node_chosen`` (the window selects and centres that node).
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QDialog, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from engine.analysis import ERROR, Analysis
from engine.graph import Graph
from engine.layer_table import LayerRow, float32_size, human_count, issue_count_text, layer_rows

from ..icons import icon
from ..shell.geometry import fit_to_screen

SORT_ROLE = Qt.ItemDataRole.UserRole
NODE_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("#", "Layer", "Type", "Output shape", "Parameters", "MACs", "Issues")
NUMBER_COLUMNS = {0, 4, 5}
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class LayerTableModel(QAbstractTableModel):
    """The rows of ``engine.layer_table``; ``SORT_ROLE`` gives each cell's sort key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LayerRow] = []
        self._texts: list[tuple] = []
        self._keys: list[tuple] = []

    def set_rows(self, rows: list[LayerRow]) -> None:
        same_layers = [row.node_id for row in rows] == [row.node_id for row in self.rows]
        if not same_layers:
            self.beginResetModel()
        self.rows = rows
        # Each cell's text and sort key, made once: views and the sorter ask for them many times.
        self._texts = [(str(number), row.name, row.type_title, row.shape_text, f"{row.params:,}", f"{row.macs:,}",
                        row.issues_text) for number, row in enumerate(rows, 1)]
        # Numbers sort as numbers; a shape by its size; issues errors first, then warnings.
        self._keys = [(number, row.name.lower(), row.type_title.lower(), row.output_size, row.params, row.macs,
                       row.errors * 10_000 + len(row.issues)) for number, row in enumerate(rows)]
        if not same_layers:
            self.endResetModel()
        elif rows:  # most edits change numbers, not layers: the selection and scroll position stay
            self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(COLUMNS) - 1))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return COLUMNS[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section in NUMBER_COLUMNS:
                return _RIGHT
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[index.row()][column]
        if role == SORT_ROLE:
            return self._keys[index.row()][column]
        if role == NODE_ROLE:
            return row.node_id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMBER_COLUMNS:
            return _RIGHT
        if role == Qt.ItemDataRole.DecorationRole and column == 6 and row.issues:
            return icon("error" if any(issue.severity == ERROR for issue in row.issues) else "warning")
        if role == Qt.ItemDataRole.ToolTipRole and column == 6 and row.issues:
            return "\n".join(str(issue) for issue in row.issues)
        return None


class NetworkAnalyzer(QDialog):
    """A tool window beside the canvas; ``show_analysis`` refills it (the menu wires it to the document)."""

    node_chosen = Signal(str)

    def __init__(self, document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkAnalyzer")
        self.setWindowTitle("Analyze Network")
        self.document = document
        self.model = LayerTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setDynamicSortFilter(True)  # an edit keeps the chosen order
        self.table = QTableView()
        self.table.setAccessibleName("Layers")
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move between cells
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        self._sized = False  # columns fit their contents once; measuring every refill would stall edits
        self.table.doubleClicked.connect(self._double_clicked)
        self.table.activated.connect(self._double_clicked)  # Enter on a row, as a double-click
        self.totals = QLabel()
        self.totals.setObjectName("analyzerTotals")
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        hint = QLabel("Click a column to sort by it (# is the flow order); double-click a layer to find it on "
                      "the canvas.")
        hint.setObjectName("mutedNote")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.totals)
        layout.addWidget(hint)
        document.analysis_changed.connect(self._analysis_changed)
        self._stale = False
        self.show_analysis(self._current_analysis())
        fit_to_screen(self, QSize(860, 600))

    def _current_analysis(self) -> Analysis:
        return self.document.refresh_analysis() if self.document.analysis_pending else self.document.analysis

    def _analysis_changed(self, analysis: Analysis) -> None:
        if self.isVisible():
            self.show_analysis(analysis)
        else:  # closed: catch up when shown again rather than rebuild on every edit
            self._stale = True

    def showEvent(self, event) -> None:
        if self._stale:
            self._stale = False
            self.show_analysis(self._current_analysis())
        super().showEvent(event)

    def show_analysis(self, analysis: Analysis) -> None:
        graph: Graph = self.document.graph
        rows = layer_rows(graph, analysis)
        self.model.set_rows(rows)
        if not self._sized:
            self._sized = True
            self.table.resizeColumnsToContents()  # long names stay whole
        self.totals.setText(
            f"<b>{len(rows)} layers</b> · {analysis.total_params:,} parameters "
            f"({float32_size(analysis.total_params)} as float32) · {human_count(analysis.total_macs)} "
            f"multiply-accumulates per image · "
            + ("no problems" if not analysis.issues else issue_count_text(analysis.issues)))

    def node_at(self, view_row: int) -> str:
        return self.proxy.index(view_row, 0).data(NODE_ROLE)

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.node_chosen.emit(index.data(NODE_ROLE))
