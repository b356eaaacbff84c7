"""The Network Outline: the canvas's cards as a table a screen reader can walk (issue 24, item 7).

A graphics view's items are invisible to assistive technology, so the network
is also shown as rows: name, type, output shape, problems, in the order data
flows (topological), a collapsed block as one row. The rows follow every edit
and every analysis; the selection is the canvas's, both ways (``selection_chosen``
goes to the canvas, ``show_selection`` comes from it). Enter on a row asks for
the Inspector (``edit_requested``), as Enter on the canvas does.
"""
from __future__ import annotations

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView

from .node_summary import summarise

KEY_ROLE = Qt.ItemDataRole.UserRole
COLUMNS = ("Name", "Type", "Output shape", "Problems")


class NetworkOutline(QTreeView):
    selection_chosen = Signal(list)
    """Card keys (node or collapsed-block ids) the user selected here."""
    edit_requested = Signal()

    def __init__(self, document, parent=None) -> None:
        super().__init__(parent)
        self.document = document
        self.setObjectName("networkOutline")
        self.setAccessibleName("Network outline")
        self.setAccessibleDescription("Every block of the network in the order data flows: name, type, output "
                                      "shape and problems. Selecting a row selects the block on the canvas; "
                                      "Enter edits it in the Inspector")
        self.table = QStandardItemModel(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.setModel(self.table)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(True)
        self._shown: list[str] = []  # the canvas's selection, restored after each rebuild
        self._quiet = False  # True while the rows change from here, not by the user
        self._rows: list = []
        self.selectionModel().selectionChanged.connect(self._user_selected)
        self.activated.connect(lambda _index: self.edit_requested.emit())
        document.graph_changed.connect(self.refresh)
        document.analysis_changed.connect(lambda _analysis: self.refresh())
        document.project_replaced.connect(self.refresh)
        self.refresh()

    def keys(self) -> list[str]:
        """The card keys of the rows, top to bottom."""
        return [self.table.item(row, 0).data(KEY_ROLE) for row in range(self.table.rowCount())]

    def row_texts(self, key: str) -> list[str]:
        row = self.keys().index(key)
        return [self.table.item(row, column).text() for column in range(len(COLUMNS))]

    def refresh(self) -> None:
        document = self.document
        graph, analysis = document.graph, document.analysis
        cards = set(document.card_spots())
        order = [document.card_key(node_id) for node_id in analysis.order if node_id in graph.nodes]
        order += sorted(cards, key=lambda key: key)  # the rest (on a cycle, or not analysed yet)
        keys = [key for key in dict.fromkeys(order) if key in cards]
        rows = [(key, summarise(graph, analysis, key)) for key in keys]
        if rows == self._rows:
            return  # (a move, a view change): nothing to say
        self._rows = rows
        current = self.currentIndex().row()
        self._quiet = True
        try:
            self.table.setRowCount(0)
            for key, summary in rows:
                cells = [QStandardItem(text) for text in
                         (summary.name, summary.type_title, summary.shape, summary.problems or "none")]
                cells[0].setData(key, KEY_ROLE)
                # A reader moving down the rows hears the whole row in one line on its first cell.
                cells[0].setData(summary.spoken(), Qt.ItemDataRole.AccessibleTextRole)
                self.table.appendRow(cells)
            self._select_rows(self._shown)
            if 0 <= current < self.table.rowCount() and not self._shown:
                self.selectionModel().setCurrentIndex(self.table.index(current, 0),
                                                      QItemSelectionModel.SelectionFlag.NoUpdate)
        finally:
            self._quiet = False

    def show_selection(self, keys: list[str]) -> None:
        """The canvas's selection (its ``selection_changed``), shown as selected rows."""
        self._shown = list(keys)
        self._quiet = True
        try:
            self._select_rows(keys)
        finally:
            self._quiet = False

    def _select_rows(self, keys: list[str]) -> None:
        rows = [row for row, key in enumerate(self.keys()) if key in set(keys)]
        selection = QItemSelection()
        for row in rows:
            selection.select(self.table.index(row, 0), self.table.index(row, len(COLUMNS) - 1))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
        self.selectionModel().select(selection, flags)
        if rows:
            self.selectionModel().setCurrentIndex(self.table.index(rows[-1], 0),
                                                  QItemSelectionModel.SelectionFlag.NoUpdate)
            self.scrollTo(self.table.index(rows[-1], 0))

    def _user_selected(self, *_args) -> None:
        if self._quiet:
            return
        keys = self.keys()
        chosen = [keys[index.row()] for index in self.selectionModel().selectedRows()]
        self._shown = chosen
        self.selection_chosen.emit(chosen)
