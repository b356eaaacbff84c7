"""Per-channel mean and std over the training split, streamed with a progress bar and Cancel, offered as
the normalisation the Input's images get (the Input node's Normalisation, one undoable edit)."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget


def values_text(values) -> str:
    return ", ".join(f"{value:.4f}" for value in values)


class StatsPanel(QWidget):
    """``compute_requested``, ``cancel_requested``, ``use_requested``; the view calls ``show_*``."""

    compute_requested = Signal()
    cancel_requested = Signal()
    use_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: tuple[tuple[float, ...], tuple[float, ...]] | None = None
        self.compute = QPushButton("Compute mean and std")
        self.compute.setToolTip("Read every training image once, adapted to the Input, and average per channel.")
        self.compute.clicked.connect(self.compute_requested)
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.cancel.clicked.connect(self.cancel_requested)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Statistics progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.text = QLabel("Not computed yet.")
        self.text.setWordWrap(True)
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.use = QPushButton("Use as Input normalisation")
        self.use.setEnabled(False)
        self.use.setToolTip("Store these values in the Input node (saved with the project): training, predictions "
                            "and exports normalise the Input's images with them (Edit ▸ Undo takes it back).")
        self.use.clicked.connect(self.use_requested)
        row = QHBoxLayout()
        row.addWidget(self.compute)
        row.addWidget(self.progress, 1)
        row.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.text)
        layout.addWidget(self.use)
        layout.addWidget(self.current)
        layout.addStretch(1)

    def show_running(self) -> None:
        self.compute.setEnabled(False)
        self.cancel.setEnabled(True)
        self.use.setEnabled(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.text.setText("Reading the training images…")

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_result(self, mean, std, counted: int, shape) -> None:
        self.result = (tuple(mean), tuple(std))
        self._idle()
        self.progress.setValue(self.progress.maximum())
        self.text.setText(f"Over {counted:,} training images at {'×'.join(map(str, shape))}: mean {values_text(mean)}, "
                          f"std {values_text(std)}.")
        self.use.setEnabled(True)

    def show_stopped(self, message: str) -> None:
        self._idle()
        self.progress.setValue(0)
        self.text.setText(message)

    def show_current(self, normalisation: str) -> None:
        self.current.setText(f"The Input normalises with {normalisation}." if normalisation else
                             "The Input has no normalisation of its own: training computes it when the data "
                             "loads.")

    def _idle(self) -> None:
        self.compute.setEnabled(True)
        self.cancel.setEnabled(False)
