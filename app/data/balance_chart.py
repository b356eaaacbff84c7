"""Per-class counts of the training and validation splits as bars, the warning for a class under 10 % of
the largest, and the remedies (weight the loss, resample), which set the project's Class balance setting
as one undoable edit."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.data.balance import ClassCounts

from ..training import plot_style

REMEDIES = (("none", "As it is"), ("weight", "Weight the loss"), ("resample", "Resample"))


class BalanceChart(QWidget):
    """``show_counts(counts)``; ``remedy_chosen(choice)`` with "none", "weight" or "resample"."""

    remedy_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counts: ClassCounts | None = None
        self.plot = pg.PlotWidget()
        self.plot.setAccessibleName("Images per class, training and validation")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.getPlotItem().hideButtons()
        self.plot.setMinimumHeight(80)
        self.train_bars: pg.BarGraphItem | None = None
        self.val_bars: pg.BarGraphItem | None = None
        self.warning = QLabel()
        self.warning.setObjectName("issueText")  # the stylesheet's warning colour, per theme
        self.warning.setWordWrap(True)
        self.warning.hide()
        self.buttons: dict[str, QPushButton] = {}
        # The key in words beside the colours (a legend inside the plot would cover the bars).
        self.key = QLabel(f"<span style='color:{plot_style.TRAIN_COLOUR.name()}'>■</span> training &nbsp; "
                          f"<span style='color:{plot_style.VALIDATION_COLOUR.name()}'>■</span> validation")
        row = QHBoxLayout()
        row.addWidget(QLabel("Class balance:"))
        for choice, title in REMEDIES:
            button = QPushButton(title)
            button.setCheckable(True)
            button.setAccessibleName(f"Class balance: {title}")
            button.clicked.connect(lambda _checked=False, c=choice: self.remedy_chosen.emit(c))
            self.buttons[choice] = button
            row.addWidget(button)
        row.addStretch(1)
        self.buttons["weight"].setToolTip("Each class's loss weighs inversely to its number of training images.")
        self.buttons["resample"].setToolTip("Each epoch draws the training images so every class comes about "
                                            "equally often (small classes repeat).")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.key)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.warning)
        layout.addLayout(row)
        self._style_plot()

    def show_counts(self, counts: ClassCounts | None) -> None:
        self.counts = counts
        for bars in (self.train_bars, self.val_bars):
            if bars is not None:
                self.plot.removeItem(bars)
        self.train_bars = self.val_bars = None
        if counts is None:
            self.warning.hide()
            return
        x = np.arange(len(counts.class_names), dtype=float)
        self.train_bars = pg.BarGraphItem(x=x - 0.18, height=list(counts.train), width=0.34,
                                          brush=pg.mkBrush(plot_style.TRAIN_COLOUR))
        self.val_bars = pg.BarGraphItem(x=x + 0.18, height=list(counts.val), width=0.34,
                                        brush=pg.mkBrush(plot_style.VALIDATION_COLOUR))
        self.plot.addItem(self.train_bars)
        self.plot.addItem(self.val_bars)
        self.plot.getAxis("bottom").setTicks([list(enumerate(counts.class_names))])
        self.plot.setXRange(-0.6, len(x) - 0.4, padding=0)
        self.plot.setYRange(0, max(max(counts.train, default=1), 1) * 1.08, padding=0)
        text = counts.warning()
        self.warning.setText(f"⚠ {text}" if text else "")
        self.warning.setVisible(bool(text))
        self.plot.setAccessibleDescription(", ".join(f"{n}: {t} training, {v} validation" for n, t, v in
                                                     zip(counts.class_names, counts.train, counts.val)))

    def show_remedy(self, choice: str) -> None:
        for key, button in self.buttons.items():
            button.setChecked(key == choice)

    def heights(self) -> tuple[list[float], list[float]]:
        """The bars' heights (tests)."""
        if self.train_bars is None or self.val_bars is None:
            return [], []
        return ([float(v) for v in self.train_bars.opts["height"]], [float(v) for v in self.val_bars.opts["height"]])

    def _style_plot(self) -> None:
        plot_style.style_graphics_widget(self.plot, self)
        plot_style.style_plot(self.plot.getPlotItem(), self)
        self.plot.getPlotItem().setLabel("left", "images")

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if plot_style.is_palette_change(event):
            self._style_plot()
        super().changeEvent(event)
