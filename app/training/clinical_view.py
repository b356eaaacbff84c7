"""The Clinical view: per class (or finding) sensitivity and specificity at 0.5 and at the operating point
chosen on validation, ROC and PR AUC, and the reliability diagram with the expected calibration error.

It shows what the engine computed (engine.tasks.clinical); it computes nothing itself.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.tasks.clinical import clinical_table

from . import plot_style

EMPTY_TEXT = "Sensitivity, specificity and calibration per class appear here after a validation."


class ClinicalView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("clinicalView")
        self.headline = QLabel(EMPTY_TEXT)
        self.headline.setObjectName("clinicalHeadline")
        self.headline.setWordWrap(True)
        self.table = QTableWidget(0, 0)
        self.table.setAccessibleName("Clinical metrics per class: sensitivity, specificity, ROC AUC, PR AUC")
        self.table.setObjectName("clinicalTable")
        self.table.verticalHeader().hide()
        self.table.setTabKeyNavigation(False)  # Tab leaves the table instead of walking its cells
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.plot_widget = pg.PlotWidget()
        self.plot_widget.setAccessibleName("Reliability diagram: observed frequency against predicted probability")
        self.plot_widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "predicted probability")
        self.plot.setLabel("left", "observed frequency")
        self.plot.setTitle("Reliability")
        self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0.02)
        self.plot.setMouseEnabled(False, False)
        self.diagonal = self.plot.plot([0, 1], [0, 1])
        self.points = self.plot.plot([], [], symbol="o", symbolSize=7)
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot_widget)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.headline)
        layout.addWidget(splitter, 1)
        self.apply_colours()

    def show_metrics(self, metrics: dict, class_names: list[str], where: str) -> bool:
        """Shows the clinical metrics of one validation; False (and nothing changed) when it has none."""
        header, rows = clinical_table(metrics, class_names)
        if not rows:
            return False
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(list(header))
        self.table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        reliability = metrics["val_reliability"]
        shown = [(c, f) for c, f, n in zip(reliability["confidence"], reliability["frequency"], reliability["count"]) if n]
        self.points.setData([c for c, _ in shown], [f for _, f in shown])
        mean_auc = metrics.get("val_mean_auc")
        self.headline.setText(
            f"{where}: mean ROC AUC {mean_auc:.3f}; " if mean_auc is not None else f"{where}: ")
        self.headline.setText(self.headline.text() + f"expected calibration error {metrics['val_ece']:.3f}; "
                              f"operating point: each class's highest threshold reaching sensitivity "
                              f"{metrics['val_target_sensitivity']:.0%} on validation.")
        return True

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.points.setData([], [])
        self.headline.setText(EMPTY_TEXT)

    def apply_colours(self) -> None:
        plot_style.style_graphics_widget(self.plot_widget, self)
        plot_style.style_plot(self.plot, self)
        text = plot_style.foreground(self)
        self.diagonal.setPen(pg.mkPen(plot_style.dimmed(text, 120), style=Qt.PenStyle.DashLine))
        self.points.setPen(pg.mkPen(text))
        self.points.setSymbolBrush(pg.mkBrush(text))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if plot_style.is_palette_change(event) and hasattr(self, "points"):
            self.apply_colours()
