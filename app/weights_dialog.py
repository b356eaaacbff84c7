"""Model ▸ Load Pretrained Weights…: pick torchvision's weights or a file, see how they fit, apply.

Downloading and reading run off the GUI thread (``BackgroundJobs``). The
report says how many tensors fit and names every misfit (a head with
another number of classes is re-initialised) before anything changes.
Applying sets the project's initial weights as one undoable edit; the
trainer loads them when a run starts.
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from engine.project import Project
from engine.weights import (
    WeightsError,
    WeightsMatch,
    available_weights,
    classification_models,
    match_weights,
    read_weights_file,
    torchvision_cache,
    torchvision_cached,
    torchvision_name_for,
    torchvision_weights_file,
)

from .labels import muted
from .training.background import BackgroundJobs
from .training.panel import starting_point

ERROR_COLOUR = "palette(bright-text)"  # the theme's error colour, as the training panel's errors
WEIGHTS_FILTER = "PyTorch weights (*.pt *.pth *.bin *.ckpt);;All files (*)"


class SetWeightsCommand(QUndoCommand):
    """Sets the project's initial weights (file and source); undo restores the previous ones."""

    def __init__(self, project: Project, path: str, source: str) -> None:
        super().__init__(f"Start from {source or Path(path).name}" if path else "Start from random weights")
        self.project = project
        self.old = (project.weights, project.weights_source)
        self.new = (path, source)

    def redo(self) -> None:
        self.project.weights, self.project.weights_source = self.new

    def undo(self) -> None:
        self.project.weights, self.project.weights_source = self.old


def set_project_weights(document, path: str, source: str) -> bool:
    """Pushes the change onto the document's undo stack; False (with a status message) if refused."""
    if (document.project.weights, document.project.weights_source) == (path, source):
        return False
    if document.read_only:
        document.show_status("The initial weights cannot change while the network trains: stop training first.")
        return False
    document.undo_stack.push(SetWeightsCommand(document.project, path, source))
    return True


class PretrainedWeightsDialog(QDialog):
    """Choose weights, check them against the network, then apply (or cancel)."""

    def __init__(self, document, jobs: BackgroundJobs, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pretrainedWeightsDialog")
        self.setWindowTitle("Load Pretrained Weights")
        self.document = document
        self.jobs = jobs
        self.match: WeightsMatch | None = None
        self.chosen: tuple[str, str] | None = None  # (file, source) of the checked weights
        self._closed = False
        self._ticket = 0  # only the newest check's answer counts

        self.torchvision_radio = QRadioButton("torchvision's pretrained weights")
        self.file_radio = QRadioButton("A weights file")
        sources = QButtonGroup(self)
        sources.addButton(self.torchvision_radio)
        sources.addButton(self.file_radio)
        self.model_combo = QComboBox()
        self.model_combo.setObjectName("modelCombo")
        self.model_combo.addItems(classification_models())
        self.weights_combo = QComboBox()
        self.weights_combo.setObjectName("weightsCombo")
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("weightsFile")
        self.file_edit.setAccessibleName("Weights file")
        self.file_edit.setPlaceholderText("a .pt or .pth file: a state_dict or a ConvCanvas checkpoint")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(browse)

        form = QFormLayout()
        form.addRow(self.torchvision_radio)
        form.addRow("Model", self.model_combo)
        form.addRow("Weights", self.weights_combo)
        self.cache_label = QLabel(f"Downloaded once into {torchvision_cache()}")
        self.cache_label.setObjectName("muted")
        self.cache_label.setWordWrap(True)
        form.addRow("", self.cache_label)
        form.addRow(self.file_radio)
        form.addRow("File", file_row)

        self.check_button = QPushButton("Check")
        self.check_button.setObjectName("checkWeights")
        self.check_button.clicked.connect(self.check)
        self.report = QLabel()
        self.report.setObjectName("weightsReport")
        self.report.setWordWrap(True)
        self.report.setTextFormat(Qt.TextFormat.RichText)
        self.report.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.report.setMinimumHeight(72)
        self.report.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Use These Weights", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setObjectName("applyWeights")
        self.apply_button.setEnabled(False)
        self.clear_button = self.buttons.addButton("Start from Random Weights",
                                                   QDialogButtonBox.ButtonRole.ResetRole)
        self.clear_button.setObjectName("clearWeights")
        self.clear_button.setVisible(bool(document.project.weights))
        self.clear_button.clicked.connect(self._clear)
        self.buttons.accepted.connect(self.apply)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        current = muted(f"Now: {starting_point(document.project)[0].removeprefix('Starts from: ')}")
        layout.addWidget(current)
        layout.addLayout(form)
        layout.addWidget(self.check_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.report, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)

        suggested = torchvision_name_for(document.project.name)
        if suggested:
            self.model_combo.setCurrentText(suggested)
        self._fill_weights()
        (self.torchvision_radio if suggested else self.file_radio).setChecked(True)
        self.model_combo.currentTextChanged.connect(self._fill_weights)
        self.model_combo.currentTextChanged.connect(lambda _text: self._choose(self.torchvision_radio))
        self.weights_combo.currentTextChanged.connect(lambda _text: self._forget())
        self.file_edit.textEdited.connect(lambda _text: self._choose(self.file_radio))
        self.torchvision_radio.toggled.connect(lambda _on: self._forget())
        self._forget()

    # --- choosing --------------------------------------------------------------------------------

    def _fill_weights(self) -> None:
        self.weights_combo.clear()
        try:
            self.weights_combo.addItems(available_weights(self.model_combo.currentText()))
        except WeightsError:
            pass

    def _choose(self, radio: QRadioButton) -> None:
        radio.setChecked(True)
        self._forget()

    def _browse(self) -> None:
        start = self.file_edit.text() or str(self.document.path.parent if self.document.path else Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Pick a weights file", start, WEIGHTS_FILTER)
        if path:
            self.set_file(path)

    def set_file(self, path: str | Path) -> None:
        """Chooses a local weights file and checks it."""
        self.file_edit.setText(str(path))
        self._choose(self.file_radio)
        self.check()

    def _forget(self) -> None:
        """The choice changed: the last report no longer applies."""
        self._ticket += 1
        self.match, self.chosen = None, None
        self.apply_button.setEnabled(False)
        cached = torchvision_cached(self.model_combo.currentText(), self.weights_combo.currentText() or "DEFAULT")
        self.check_button.setText("Check" if self.file_radio.isChecked() or cached else "Download and Check")
        self.check_button.setEnabled(True)
        self._show_report("Check the weights to see how they fit this network.", muted=True)

    # --- checking (off the GUI thread) ---------------------------------------------------------------

    def check(self) -> None:
        """Reads (or downloads) the chosen weights and matches them against the network, off the GUI thread."""
        self._ticket += 1
        ticket = self._ticket
        graph = self.document.graph.copy()
        if self.file_radio.isChecked():
            file = self.file_edit.text().strip()
            if not file:
                self._show_report("Pick a weights file first.", error=True)
                return

            def work():
                path = Path(file).expanduser().resolve()
                return str(path), "", match_weights(graph, read_weights_file(path))
            self._show_report("Reading the file…", muted=True)
        else:
            model, weights = self.model_combo.currentText(), self.weights_combo.currentText() or "DEFAULT"

            def work():
                found = torchvision_weights_file(model, weights)
                return str(found.path), found.source, match_weights(graph, read_weights_file(found.path))
            self._show_report(f"Getting torchvision's {html.escape(model)} weights (a download can take a "
                              "minute)…", muted=True)
        self.check_button.setEnabled(False)
        self.jobs.run(work, lambda result: self._checked(ticket, result), lambda error: self._failed(ticket, error))

    def _checked(self, ticket: int, result) -> None:
        if self._closed or ticket != self._ticket:
            return
        path, source, match = result
        self.check_button.setEnabled(True)
        self.match, self.chosen = match, (path, source)
        self.apply_button.setEnabled(match.usable)
        title = html.escape(source or Path(path).name)
        if not match.usable:
            self._show_report(f"<b>{title} do not fit this network.</b> {html.escape(match.describe(), quote=False)}",
                              error=True)
            return
        self._show_report(f"<b>{title}</b><br>{html.escape(match.describe(), quote=False)}")

    def _failed(self, ticket: int, error: BaseException) -> None:
        if self._closed or ticket != self._ticket:
            return
        self.check_button.setEnabled(True)
        self._show_report(html.escape(str(error) or type(error).__name__, quote=False), error=True)

    def _show_report(self, text: str, error: bool = False, muted: bool = False) -> None:
        self.report.setText(text)
        self.report.setStyleSheet(f"color: {ERROR_COLOUR};" if error else "")
        self.report.setEnabled(not muted)

    # --- applying -------------------------------------------------------------------------------------

    def apply(self) -> None:
        if self.chosen is None or self.match is None or not self.match.usable:
            return
        path, source = self.chosen
        set_project_weights(self.document, path, source)
        self.document.show_status(f"Training will start from {source or Path(path).name}: {self.match.summary()}.")
        self.accept()

    def _clear(self) -> None:
        set_project_weights(self.document, "", "")
        self.document.show_status("Training will start from random weights.")
        self.accept()

    def done(self, result: int) -> None:
        self._closed = True  # a check still running finds no dialog to report to
        super().done(result)
