"""After training: the validation samples with the highest loss first, with the given and the predicted
label (likely mislabelled or hard), and Export CSV."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

COLUMNS = ("File", "Given", "Predicted", "Loss", "Confidence")
SHOWN = 500  # rows in the table (the CSV has them all)


class HardestPanel(QWidget):
    find_requested = Signal()
    export_requested = Signal()
    sample_chosen = Signal(int)  # the validation position of the chosen row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = []
        self.find = QPushButton("Find the hardest validation samples")
        self.find.setToolTip("Score every validation sample with the trained network; the highest loss first.")
        self.find.clicked.connect(self.find_requested)
        self.export = QPushButton("Export CSV…")
        self.export.setEnabled(False)
        self.export.clicked.connect(self.export_requested)
        self.text = QLabel("Train the network first: then the validation samples it finds hardest are listed "
                           "here, likely mislabelled ones among them.")
        self.text.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setTabKeyNavigation(False)  # Tab leaves the table instead of walking its cells
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setAccessibleName("Hardest validation samples")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.currentCellChanged.connect(
            lambda row, _c, _r, _p: self.sample_chosen.emit(self.rows[row].index) if 0 <= row < len(self.rows) else None)
        buttons = QHBoxLayout()
        buttons.addWidget(self.find)
        buttons.addWidget(self.export)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.text)
        layout.addWidget(self.table, 1)

    def set_available(self, available: bool) -> None:
        self.find.setEnabled(available)

    def show_rows(self, rows, class_names, names) -> None:
        self.rows = list(rows)
        shown = self.rows[:SHOWN]
        self.table.setRowCount(len(shown))
        for r, row in enumerate(shown):
            name = names[row.index] if names is not None and row.index < len(names) else f"val #{row.index}"
            values = (name, class_names[row.given], class_names[row.predicted], f"{row.loss:.3f}",
                      f"{100 * row.confidence:.0f} %")
            for c, value in enumerate(values):
                self.table.setItem(r, c, QTableWidgetItem(value))
        wrong = sum(row.given != row.predicted for row in self.rows)
        self.text.setText(f"{len(self.rows):,} validation samples, highest loss first; {wrong:,} predicted "
                          "otherwise than labelled. Check the top ones' labels.")
        self.export.setEnabled(bool(self.rows))

    def show_message(self, text: str) -> None:
        self.text.setText(text)
