"""Problems found while scanning (unreadable, duplicate, leak, odd size, mask, boxes), each with its file,
and the project's exclusion list: selected files can be left out of training, and taken back in, without
touching them (the Excluded files setting, one undoable edit each time)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the scan itself (and torch) loads only when a scan runs
    from engine.data.data_problems import DataProblem

EXCLUDED = "excluded"
COLUMNS = ("Problem", "File", "Details")

class ProblemsPanel(QWidget):
    scan_requested = Signal()
    cancel_requested = Signal()
    exclude_requested = Signal(list)  # file names to add to the exclusion list
    include_requested = Signal(list)  # file names to take off it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.problems: list[DataProblem] = []
        self.excluded: list[str] = []
        self.can_exclude = False
        self.scan = QPushButton("Scan for problems")
        self.scan.setToolTip("Read every file once: unreadable files, duplicates (also across training and "
                             "validation), odd sizes, masks and boxes that do not fit.")
        self.scan.clicked.connect(self.scan_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_requested)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Scan progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table instead of walking its cells
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Problems found in the data")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.summary = QLabel("Not scanned yet.")
        self.summary.setWordWrap(True)
        self.exclude = QPushButton("Exclude from training")
        self.exclude.setToolTip("Leave the selected files out of training; they stay where they are.")
        self.exclude.clicked.connect(lambda: self.exclude_requested.emit(self._selected(excluded=False)))
        self.include = QPushButton("Include again")
        self.include.clicked.connect(lambda: self.include_requested.emit(self._selected(excluded=True)))
        top = QHBoxLayout()
        top.addWidget(self.scan)
        top.addWidget(self.progress, 1)
        top.addWidget(self.cancel)
        bottom = QHBoxLayout()
        bottom.addWidget(self.exclude)
        bottom.addWidget(self.include)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self._update_buttons()

    def show_running(self) -> None:
        self.scan.setEnabled(False)
        self.cancel.setEnabled(True)
        self.summary.setText("Reading every file…")

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_stopped(self, message: str) -> None:
        self.scan.setEnabled(True)
        self.cancel.setEnabled(False)
        self.progress.setValue(0)
        self.summary.setText(message)

    def show_problems(self, problems: list[DataProblem], excluded: list[str], can_exclude: bool) -> None:
        self.problems, self.excluded, self.can_exclude = list(problems), list(excluded), can_exclude
        self.scan.setEnabled(True)
        self.cancel.setEnabled(False)
        self.progress.setValue(self.progress.maximum())
        rows = [(p.kind, p.name, p.message) for p in self.problems]
        rows += [(EXCLUDED, name, "left out of training by the project") for name in self.excluded]
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(1)
        counts = {}
        for problem in self.problems:
            counts[problem.kind] = counts.get(problem.kind, 0) + 1
        found = ", ".join(f"{count} {kind}" for kind, count in counts.items()) or "no problems"
        self.summary.setText(f"Found {found}." + (f" {len(self.excluded)} file(s) excluded from training."
                                                  if self.excluded else "")
                             + ("" if can_exclude else " (Files of a bundled or generated set cannot be excluded.)"))
        self._update_buttons()

    def show_excluded(self, excluded: list[str]) -> None:
        """The project's exclusion list changed (an edit, undo or redo): the rows follow."""
        self.show_problems(self.problems, excluded, self.can_exclude)

    def _selected(self, excluded: bool) -> list[str]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        names = []
        for row in rows:
            kind, name = self.table.item(row, 0).text(), self.table.item(row, 1).text()
            if (kind == EXCLUDED) == excluded and name not in names:
                problem = next((p for p in self.problems if p.name == name), None)
                if excluded or problem is None or problem.in_training:
                    names.append(name)
        return names

    def _update_buttons(self) -> None:
        self.exclude.setEnabled(self.can_exclude and bool(self._selected(excluded=False)))
        self.include.setEnabled(bool(self._selected(excluded=True)))

    def row_of(self, name: str, kind: str | None = None) -> int:
        """The first row naming ``name`` (of ``kind``), or -1 (tests)."""
        for row in range(self.table.rowCount()):
            if self.table.item(row, 1).text() == name and (kind is None or self.table.item(row, 0).text() == kind):
                return row
        return -1
