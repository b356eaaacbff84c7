"""Export a trained network: checkpoint (.pt), TorchScript, ONNX or Python source.

Each format is the engine's (``engine.export.FORMATS``); the dialog picks
one and a destination, runs the export on a background thread (ONNX
export and its onnxruntime check take seconds) and says where the files
went, or why it failed (e.g. which ONNX packages are missing and how to
install them).
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoint import CheckpointError, build_model, load_checkpoint
from engine.export import FORMATS, ExportError, default_export_path, export_checkpoint
from engine.fileio import write_error

from .background import BackgroundJobs

_FILTERS = {
    "torchscript": "TorchScript (*.pt)",
    "onnx": "ONNX model (*.onnx)",
    "python": "Python source (*.py)",
    "checkpoint": "ConvCanvas checkpoint (*.pt)",
}


def export_to(checkpoint_path: Path, format_name: str, target: Path) -> list[Path]:
    """Loads the checkpoint and writes ``format_name`` to ``target`` (runs on a background thread)."""
    checkpoint = load_checkpoint(checkpoint_path)
    model = None if format_name in ("checkpoint", "python") else build_model(checkpoint)
    return export_checkpoint(checkpoint, format_name, target, model)


class ExportDialog(QDialog):
    def __init__(self, checkpoint_path: Path, jobs: BackgroundJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export trained network")
        self.checkpoint_path = Path(checkpoint_path)
        self.jobs = jobs
        self.written: list[Path] = []

        source = QLabel(f"From checkpoint: {self.checkpoint_path}")
        source.setWordWrap(True)
        self.format_buttons = QButtonGroup(self)
        formats = QVBoxLayout()
        for index, fmt in enumerate(FORMATS.values()):
            button = QRadioButton(f"{fmt.title} — {fmt.description}")
            button.setProperty("format_name", fmt.name)
            self.format_buttons.addButton(button, index)
            formats.addWidget(button)
        self.format_buttons.buttons()[0].setChecked(True)
        self.format_buttons.buttonToggled.connect(self._on_format_changed)

        self.path_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        destination = QHBoxLayout()
        destination.addWidget(QLabel("Save to"))
        destination.addWidget(self.path_edit, 1)
        destination.addWidget(browse)

        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.linkActivated.connect(lambda link: QDesktopServices.openUrl(QUrl(link)))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.clicked.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(source)
        layout.addLayout(formats)
        layout.addLayout(destination)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        self.resize(560, self.sizeHint().height())
        self._on_format_changed()

    @property
    def format_name(self) -> str:
        return self.format_buttons.checkedButton().property("format_name")

    def select_format(self, name: str) -> None:
        for button in self.format_buttons.buttons():
            if button.property("format_name") == name:
                button.setChecked(True)

    def _on_format_changed(self, *_args) -> None:
        self.path_edit.setText(str(default_export_path(self.checkpoint_path, self.format_name)))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path_edit.text(), _FILTERS[self.format_name])
        if path:
            self.path_edit.setText(path)

    def export(self) -> None:
        text = self.path_edit.text().strip()
        if not text:
            self._show("Choose where to save the export.", error=True)
            return
        target = Path(text).expanduser()
        format_name = self.format_name
        self.export_button.setEnabled(False)
        self._show(f"Exporting {FORMATS[format_name].title}…")
        self.jobs.run(lambda: export_to(self.checkpoint_path, format_name, target), self._on_done, self._on_error)

    def _on_done(self, written: list[Path]) -> None:
        self.written = list(written)
        self.export_button.setEnabled(True)
        links = "<br>".join(f"<a href='{html.escape(QUrl.fromLocalFile(str(path.parent)).toString())}'>"
                            f"{html.escape(str(path))}</a>" for path in written)
        self.result_label.setStyleSheet("")
        self.result_label.setText(f"Wrote:<br>{links}")

    def _on_error(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(error, (ExportError, CheckpointError)):
            message = str(error)
        elif isinstance(error, OSError):  # the engine's WriteError: "cannot write PATH: CAUSE"
            message = str(write_error(Path(self.path_edit.text()), error))
        else:
            message = f"The export failed: {type(error).__name__}: {error}"
        self._show(message, error=True)

    def _show(self, text: str, error: bool = False) -> None:
        self.result_label.setStyleSheet("color: #d03b3f;" if error else "")
        self.result_label.setText(html.escape(text))
