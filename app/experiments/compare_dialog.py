"""The Compare dialog: what changed from one run to another (nodes, parameters, settings)."""
from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from engine.experiments.compare import RunComparison
from engine.experiments.listing import RunRow


class CompareRunsDialog(QDialog):
    def __init__(self, first: RunRow, second: RunRow, comparison: RunComparison, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("compareRunsDialog")
        self.setWindowTitle("Compare runs")
        self.setAccessibleName("Compare runs")
        heading = QLabel(f"From “{first.name}” to “{second.name}”:")
        heading.setWordWrap(True)
        self.text = QPlainTextEdit("\n".join(comparison.lines()))
        self.text.setObjectName("runDifferences")
        self.text.setReadOnly(True)
        self.text.setAccessibleName("What changed between the two runs")
        heading.setBuddy(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setObjectName("close")
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(520, 360)
