"""One step of the convolution: the input under the filter × the filter = the products, and their sum.

The three grids share one column width; the written-out sum sits beside
them when there is room (3×3 filters) and below them otherwise; very wide
grids (7×7 filters of long decimals) scroll sideways instead of stretching
the window.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from engine.explain.convolution import Step, format_value

from ..labels import muted
from .grids import PADDING, NumberGrid
from .widgets import bold, operator_label

STEP_CELL = 34  # px: the step's grid cells (they widen for long numbers)
SUM_WIDTH = 300  # px the written-out sum needs beside the grids
MAX_TERMS = 25  # products written out in the sum (7×7 filters have 49)


class StepView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_grid = NumberGrid()
        self.weights_grid = NumberGrid(signed_tint=True)
        self.products_grid = NumberGrid(signed_tint=True)
        for grid, name in ((self.window_grid, "Window of the input"), (self.weights_grid, "Filter weights"),
                           (self.products_grid, "Products")):
            grid.setAccessibleName(name)
        for grid in self.grids:
            smaller = QFont(grid.font())
            smaller.setPointSizeF(smaller.pointSizeF() * 0.92)
            grid.setFont(smaller)
            grid.cell_side = STEP_CELL
        self.equation = QLabel()
        self.equation.setWordWrap(True)
        self.equation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.equation.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.landing = bold(QLabel())
        self.landing.setWordWrap(True)

        content = QWidget()
        row = QHBoxLayout(content)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        for title, grid, operator in (("Under the filter", self.window_grid, "×"), ("Filter", self.weights_grid, "="),
                                      ("Products", self.products_grid, None)):
            column = QVBoxLayout()
            column.setSpacing(4)
            column.addWidget(muted(title))
            column.addWidget(grid, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            column.addStretch(1)
            row.addLayout(column)
            if operator:
                row.addWidget(operator_label(operator), 0, Qt.AlignmentFlag.AlignVCenter)
        self.scroll = QScrollArea()
        self.scroll.setWidget(content)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

        sums = QVBoxLayout()
        sums.setSpacing(6)
        sums.addWidget(muted("Sum of the products"))
        sums.addWidget(self.equation)
        sums.addWidget(self.landing)
        sums.addStretch(1)
        self.layout_box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.layout_box.setContentsMargins(0, 0, 0, 0)
        self.layout_box.setSpacing(18)
        self.layout_box.addWidget(self.scroll, 0, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.layout_box.addLayout(sums, 1)

    @property
    def grids(self) -> tuple[NumberGrid, NumberGrid, NumberGrid]:
        return self.window_grid, self.weights_grid, self.products_grid

    def show_step(self, step: Step, kernel_size: tuple[int, int], room: int) -> None:
        """Shows ``step``; ``room`` is the width the view may take (px)."""
        kh, kw = kernel_size
        padding = {divmod(i, kw): PADDING for i, in_padding in enumerate(step.in_padding) if in_padding}
        self.window_grid.set_grid(np.reshape(step.values, (kh, kw)), marks=padding)
        self.weights_grid.set_grid(np.reshape(step.weights, (kh, kw)))
        self.products_grid.set_grid(np.reshape(step.products, (kh, kw)))
        width = max(grid.needed_width() for grid in self.grids)  # one column width for all three
        for grid in self.grids:
            grid.set_cell_side(STEP_CELL, width)
        # Lines break after a "+", never inside a product or before the "= sum".
        self.equation.setText(step.equation(MAX_TERMS).replace(" + ", "\u00a0+ ").replace(" = ", "\u00a0=\u00a0"))
        self.landing.setText(f"= {format_value(step.total)}, into feature-map cell (row {step.row}, "
                             f"column {step.col})")
        self.fit(room)

    def clear(self) -> None:
        for grid in self.grids:
            grid.set_grid(np.zeros((0, 0)))
        self.equation.clear()
        self.landing.clear()

    def fit(self, room: int) -> None:
        """Grids as wide as they need (``room`` permitting) and exactly as tall; the sum beside or below."""
        content = self.scroll.widget()
        content.adjustSize()
        hint = content.sizeHint()
        beside = hint.width() + SUM_WIDTH + self.layout_box.spacing() <= room
        self.layout_box.setDirection(QBoxLayout.Direction.LeftToRight if beside else QBoxLayout.Direction.TopToBottom)
        self.scroll.setMinimumWidth(min(hint.width(), room))
        self.scroll.setMaximumWidth(hint.width())
        # Room for a scroll bar only when the grids are wider than the window.
        bar = self.scroll.horizontalScrollBar().sizeHint().height() if hint.width() > room else 0
        self.scroll.setFixedHeight(hint.height() + bar)
