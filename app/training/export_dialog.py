"""Export a trained network: checkpoint (.pt), TorchScript, ONNX or Python source.

Each format is the engine's (``engine.export.FORMATS``); the dialog picks
one and a destination (and, for TorchScript and ONNX, whether the file
takes raw images, with the training preprocessing inside), runs the export
on a background thread (ONNX export and its onnxruntime check take seconds)
and says where the files went and what they take, or why it failed (e.g.
which ONNX packages are missing and how to install them).
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.checkpoint import CheckpointError, build_model, load_checkpoint
from engine.export import (
    FORMATS,
    PREPROCESSING_FORMATS,
    ExportError,
    default_export_path,
    export_checkpoint,
    raw_image_preprocessing,
)
from engine.fileio import WriteError, write_error

from ..shell.geometry import fit_to_screen
from .background import BackgroundJobs
from .export_staging import StagedExport

_FILTERS = {
    "torchscript": "TorchScript (*.pt)",
    "onnx": "ONNX model (*.onnx)",
    "python": "Python source (*.py)",
    "checkpoint": "ConvCanvas checkpoint (*.pt)",
}


def export_to(checkpoint_path: Path, format_name: str, target: Path,
              preprocessing: bool = False, threshold: float | None = None) -> tuple[list[Path], str]:
    """Loads the checkpoint and writes ``format_name`` to ``target`` (runs on a background thread);
    returns the files written and what the file takes (so the dialog can say which it did).
    ``threshold``: an embedding network's verification threshold (the Embeddings view's)."""
    checkpoint = load_checkpoint(checkpoint_path)
    model = None if format_name in ("checkpoint", "python") else build_model(checkpoint)
    written = export_checkpoint(checkpoint, format_name, target, model, preprocessing=preprocessing,
                                threshold=threshold)
    if format_name not in PREPROCESSING_FORMATS:
        return written, ""
    if not preprocessing:
        return written, ("Without preprocessing: it takes tensors already resized, converted and normalised as "
                         "in training.")
    return written, raw_image_preprocessing(checkpoint, format_name).describe(format_name)


class ExportDialog(QDialog):
    def __init__(self, checkpoint_path: Path, jobs: BackgroundJobs, parent: QWidget | None = None,
                 threshold: float | None = None) -> None:
        super().__init__(parent)
        self.threshold = threshold  # an embedding network's verification threshold, carried by the export
        self.setWindowTitle("Export trained network")
        self.checkpoint_path = Path(checkpoint_path)
        self.jobs = jobs
        self.written: list[Path] = []
        self.progress: QProgressDialog | None = None
        self._staged: StagedExport | None = None  # the export under way

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

        self.preprocessing_box = QCheckBox("Include preprocessing: the file takes raw images of any size and "
                                           "resizes, converts and normalises them as in training")
        self.preprocessing_box.setToolTip("Without it, the file expects tensors already prepared: the Input's "
                                          "size and channels, normalised with the training mean and std")
        self.preprocessing_box.toggled.connect(self._on_format_changed)

        self.path_edit = QLineEdit()
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        destination = QHBoxLayout()
        save_to = QLabel("Save &to")
        save_to.setBuddy(self.path_edit)  # the field's name for screen readers, and Alt+T
        destination.addWidget(save_to)
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
        if threshold is not None:
            note = QLabel(f"The export carries the verification threshold {threshold:+.3f} (cosine similarity; "
                          "set in the Embeddings view); the Python export includes compare().")
            note.setObjectName("thresholdNote")
            note.setWordWrap(True)
            layout.addWidget(note)
        layout.addLayout(formats)
        layout.addWidget(self.preprocessing_box)
        layout.addLayout(destination)
        layout.addWidget(self.result_label)
        layout.addWidget(self.buttons)
        fit_to_screen(self, QSize(560, self.sizeHint().height()))
        self._on_format_changed()

    @property
    def format_name(self) -> str:
        return self.format_buttons.checkedButton().property("format_name")

    def select_format(self, name: str) -> None:
        for button in self.format_buttons.buttons():
            if button.property("format_name") == name:
                button.setChecked(True)

    @property
    def with_preprocessing(self) -> bool:
        return self.preprocessing_box.isEnabled() and self.preprocessing_box.isChecked()

    def _on_format_changed(self, *_args) -> None:
        self.path_edit.setText(str(default_export_path(self.checkpoint_path, self.format_name)))
        self.preprocessing_box.setEnabled(self.format_name in PREPROCESSING_FORMATS)

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
        format_name, preprocessing = self.format_name, self.with_preprocessing
        try:
            staged = StagedExport.beside(target)
        except OSError as error:
            self._on_error(error)
            return
        self.export_button.setEnabled(False)
        title = FORMATS[format_name].title
        self._show(f"Exporting {title}…")
        # Busy, cancellable: an export (ONNX with its onnxruntime check) can take seconds.
        self.progress = QProgressDialog(f"Exporting {title} to {target.name}…", "Cancel", 0, 0, self)
        self.progress.setWindowTitle("Exporting")
        self.progress.setWindowModality(Qt.WindowModality.WindowModal)
        self.progress.setMinimumDuration(0)
        self.progress.canceled.connect(lambda: self._cancel(staged))
        self.progress.show()
        self._staged = staged
        threshold = self.threshold
        self.jobs.run(lambda: export_to(self.checkpoint_path, format_name, staged.staged_target, preprocessing,
                                        threshold),
                      lambda outcome: self._finished(staged, outcome),
                      lambda error: self._failed(staged, error))

    def _cancel(self, staged: StagedExport) -> None:
        """The job cannot be interrupted: its result is thrown away when it ends."""
        staged.cancelled = True
        if self._staged is staged:
            self._staged = None
            self.export_button.setEnabled(True)
            self._show("Export cancelled: nothing was written.")

    def _finished(self, staged: StagedExport, outcome: tuple[list[Path], str]) -> None:
        written, takes = outcome
        if staged.cancelled:  # also after the dialog was closed: touch no widget
            staged.discard()
            return
        self._close_progress()
        try:
            placed = staged.publish(written)
        except OSError as error:
            self._on_error(error)
            return
        self._on_done((placed, takes))

    def _failed(self, staged: StagedExport, error: BaseException) -> None:
        staged.discard()
        if not staged.cancelled:
            self._close_progress()
            self._on_error(error)

    def _close_progress(self) -> None:
        self._staged = None
        if self.progress is not None:
            self.progress.canceled.disconnect()
            self.progress.close()
            self.progress = None

    def done(self, result: int) -> None:
        if self._staged is not None:  # closing the dialog cancels its export
            self._staged.cancelled = True
            self._staged = None
        super().done(result)

    def _on_done(self, outcome: tuple[list[Path], str]) -> None:
        written, takes = outcome
        self.written = list(written)
        self.export_button.setEnabled(True)
        links = "<br>".join(f"<a href='{html.escape(QUrl.fromLocalFile(str(path.parent)).toString())}'>"
                            f"{html.escape(str(path))}</a>" for path in written)
        self.result_label.setStyleSheet("")
        self.result_label.setText(f"Wrote:<br>{links}" + (f"<br>{html.escape(takes)}" if takes else ""))

    def _on_error(self, error: BaseException) -> None:
        self.export_button.setEnabled(True)
        if isinstance(error, (ExportError, CheckpointError)):
            message = str(error)
        elif isinstance(error, WriteError):  # "cannot write PATH: CAUSE", PATH in the staging folder
            # Name the file where the user asked for it, not its hidden staging copy.
            target = Path(self.path_edit.text()).expanduser()
            message = str(WriteError(error.errno, error.strerror, str(target.parent / Path(error.filename).name)))
        elif isinstance(error, OSError):
            message = str(write_error(Path(self.path_edit.text()), error))
        else:
            message = f"The export failed: {type(error).__name__}: {error}"
        self._show(message, error=True)

    def _show(self, text: str, error: bool = False) -> None:
        self.result_label.setStyleSheet("color: palette(bright-text);" if error else "")
        self.result_label.setText(html.escape(text))
