"""Small building blocks of the explainer window: bold labels, operators, titled grids."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from ..labels import muted
from .grids import HeatMap, NumberGrid


def bold(label: QLabel) -> QLabel:
    font = QFont(label.font())
    font.setWeight(QFont.Weight.DemiBold)
    label.setFont(font)
    return label


def operator_label(symbol: str) -> QLabel:
    """A large ∗, =, × or → between grids."""
    label = QLabel(symbol)
    font = QFont(label.font())
    font.setPointSizeF(max(14.0, font.pointSizeF() * 1.8))
    label.setFont(font)
    label.setObjectName("muted")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setMinimumWidth(28)
    return label


def spin_box(minimum: int, maximum: int, value: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(minimum, maximum)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class GridPanel(QWidget):
    """A titled grid: numbers (``grid``) for small inputs, a heat map (``heat``) for large ones."""

    def __init__(self, title: str, editable: bool = False, signed_tint: bool = False, heat: bool = True) -> None:
        super().__init__()
        self.title = bold(QLabel(title))
        self.subtitle = muted()
        self.subtitle.setWordWrap(False)
        self.grid = NumberGrid(editable=editable, signed_tint=signed_tint)
        self.grid.setAccessibleName(title)
        self.heat = HeatMap() if heat else None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        layout.addWidget(self.grid, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        if self.heat is not None:
            layout.addWidget(self.heat, 1)
            self.heat.hide()
        layout.addStretch(0)

    def show_numbers(self, numbers: bool) -> None:
        self.grid.setVisible(numbers)
        if self.heat is not None:
            self.heat.setVisible(not numbers)
        policy = QSizePolicy.Policy.Preferred if numbers else QSizePolicy.Policy.Expanding
        self.setSizePolicy(policy, policy)
