"""File ▸ Import: a torchvision model, a Python file's nn.Module, or a checkpoint / TorchScript export.

Each source has a small dialog; the import itself (tracing, mapping, checking
the weights) runs on a pool thread while a busy bar moves, and the result
opens as a new unsaved document. Weights worth keeping (a checkpoint's, a
Python module's) are saved beside the app's data and become the project's
initial weights, so training starts from them; a torchvision model is built
without weights, and Model ▸ Load Pretrained Weights… fetches its trained ones.
An import that fails shows every unsupported operation by name and place.
"""
from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QStandardPaths, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine import importer  # its names on first use: most of them import torch
from engine.catalogue import block
from engine.fileio import WriteError, atomic_torch_save
from engine.importer import ModelImportError, Unsupported

if TYPE_CHECKING:
    from engine.importer import ImportResult

from .accessibility import name_clear_button
from .training.warm_up import wait_for_torch_warm_up
from .theme import set_style_property
from .training.background import BackgroundJobs

PYTHON_FILTER = "Python files (*.py);;All files (*)"
SAVED_FILTER = "Checkpoints and TorchScript (*.pt *.pth *.ts);;All files (*)"
ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"
LISTED_IN_MESSAGE = 8
"""Unsupported operations the error box shows before "… and N more" (Show Details has them all)."""


def imported_weights_folder() -> Path:
    """Where imported weights are kept (the project refers to them as its initial weights)."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(location) / "imported-weights"


def keep_weights(result: ImportResult, folder: Path, source: str) -> ImportResult:
    """Saves weights worth keeping and makes them the project's initial weights (call off the GUI thread)."""
    if result.random_weights or not result.state_dict:
        return result
    stem = "".join(ch if ch.isalnum() else "-" for ch in result.project.name.lower()).strip("-") or "network"
    path = folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}.pt"
    atomic_torch_save(path, result.state_dict)
    result.project.weights, result.project.weights_source = str(path), f"imported from {source}"
    return result


def show_import_error(parent: QWidget | None, error: BaseException) -> QMessageBox:
    """The refusal, with the unsupported operations listed (all of them under Show Details)."""
    box = QMessageBox(parent)
    box.setObjectName("importErrorDialog")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Cannot import")
    if isinstance(error, ModelImportError):
        box.setText(error.summary.rstrip(":"))
        items = error.unsupported
        if items:
            shown = "\n".join(f"• {_brief(item)}" for item in items[:LISTED_IN_MESSAGE])
            more = len(items) - LISTED_IN_MESSAGE
            box.setInformativeText(shown + (f"\n… and {more} more (Show Details…)" if more > 0 else ""))
            box.setDetailedText("\n".join(str(item) for item in items))
    elif isinstance(error, WriteError):  # the imported weights could not be kept
        box.setText(str(error))
    else:  # not the importer's own refusal: show what happened rather than hide it
        box.setText(f"{type(error).__name__}: {error}")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.open()
    return box


def _brief(item: Unsupported) -> str:
    """The operation and its place; why, unless it is only that no block computes it."""
    generic = item.what.startswith("ConvCanvas has no block for")
    return f"{item.name} at {item.location}" + ("" if generic else f": {item.what}")


class SizeFields(QWidget):
    """Channels × height × width, within what the Input block allows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.spins: list[QSpinBox] = []
        spec = block("input")
        for index, name in enumerate(("channels", "height", "width")):
            param = spec.param(name)
            spin = QSpinBox()
            spin.setObjectName(f"input{name.capitalize()}")
            spin.setRange(int(param.minimum), int(param.maximum))
            spin.setToolTip(param.help)
            spin.setAccessibleName(f"Input {name}")
            spin.setAccelerated(True)
            if index:
                layout.addWidget(QLabel("×"))
            layout.addWidget(spin)
            self.spins.append(spin)
        layout.addWidget(QLabel("channels × height × width"), 1)
        self.set_value(importer.DEFAULT_INPUT)

    def value(self) -> tuple[int, int, int]:
        return tuple(spin.value() for spin in self.spins)

    def set_value(self, shape) -> None:
        for spin, size in zip(self.spins, shape):
            spin.setValue(int(size))


class ImportDialog(QDialog):
    """What every import dialog shares: a form, a busy bar, and Import / Cancel."""

    imported = Signal(object)
    """The ImportResult, once the import has succeeded."""

    def __init__(self, title: str, jobs: BackgroundJobs, weights_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.jobs, self.weights_folder = jobs, weights_folder
        self.result: ImportResult | None = None
        self.error: BaseException | None = None
        self._closed = False
        self.inputs: list[QWidget] = []  # what the user may not change while an import runs
        self.top = QVBoxLayout()
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.busy = QProgressBar()
        self.busy.setObjectName("importBusy")
        self.busy.setRange(0, 0)  # indeterminate: tracing has no steps to count
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(8)
        self.busy.hide()
        self.status = QLabel()
        self.status.setObjectName("muted")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.import_button = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("importButton")
        self.import_button.setDefault(True)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        self.body = QVBoxLayout(self)
        self.body.addLayout(self.top, 1)
        self.body.addLayout(self.form)
        self.body.addWidget(self.status)
        self.body.addWidget(self.busy)
        self.body.addWidget(self.buttons)
        self.setMinimumWidth(560)

    @property
    def running(self) -> bool:
        return self.busy.isVisible()

    def start(self) -> None:
        """Starts the import chosen in the form (subclasses say what it is)."""
        raise NotImplementedError

    def run_import(self, work: Callable[[], ImportResult], what: str, source: str) -> None:
        if self.running:
            return
        folder = self.weights_folder
        self._set_running(True, f"Importing {what}: tracing it and checking the result…")
        self.jobs.run(lambda: keep_weights(work(), folder, source), self._done, self._failed)

    def _set_running(self, running: bool, message: str = "") -> None:
        self.busy.setVisible(running)
        self.import_button.setEnabled(not running)
        for widget in self.inputs:
            widget.setEnabled(not running)
        self.status.setText(message)

    def _done(self, result: ImportResult) -> None:
        if self._closed:
            return
        self._set_running(False)
        self.result = result
        self.imported.emit(result)
        self.accept()

    def _failed(self, error: BaseException) -> None:
        if self._closed:
            return
        self._set_running(False)
        self.error = error
        show_import_error(self, error)

    def done(self, result: int) -> None:
        self._closed = True  # an import still running finds no dialog to report to
        super().done(result)


class TorchvisionImportDialog(ImportDialog):
    """A searchable list of torchvision's classifiers; picking one checks (lazily) whether it imports."""

    def __init__(self, jobs: BackgroundJobs, weights_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__("Import torchvision Model", jobs, weights_folder, parent)
        self.setObjectName("torchvisionImportDialog")
        self._ticket = 0
        self._checked: dict[tuple, str] = {}
        self.search = QLineEdit()
        self.search.setObjectName("modelSearch")
        self.search.setPlaceholderText("Search torchvision's models (resnet, vgg, …)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search models")
        name_clear_button(self.search, "Clear search")
        self.models = QListWidget()
        self.models.setObjectName("modelList")
        self.models.setAccessibleName("Models")
        self.models.addItems(importer.torchvision_models())
        self.models.setMinimumHeight(220)
        self.check_label = QLabel()
        self.check_label.setObjectName("issueText")
        self.check_label.setWordWrap(True)
        # Room for two lines: a wrapped label does not grow a dialog already at its minimum height.
        self.check_label.setMinimumHeight(2 * self.check_label.fontMetrics().lineSpacing() + 4)
        self.check_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.size = SizeFields()
        note = QLabel("Imported with fresh weights: afterwards, Model ▸ Load Pretrained Weights… gets "
                      "torchvision's trained ones.")
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.top.addWidget(self.search)
        self.top.addWidget(self.models, 1)
        self.top.addWidget(self.check_label)
        self.form.addRow("Input", self.size)
        self.form.addRow(note)
        self.inputs += [self.search, self.models, self.size]
        self.search.textChanged.connect(self._filter)
        self.models.currentTextChanged.connect(self._model_chosen)
        self.models.itemDoubleClicked.connect(lambda _item: self.start())
        for spin in self.size.spins:
            spin.valueChanged.connect(lambda _value: self._check())
        self.select("resnet18")

    def select(self, name: str) -> None:
        matches = self.models.findItems(name, Qt.MatchFlag.MatchExactly)
        if matches:
            self.models.setCurrentItem(matches[0])

    @property
    def model_name(self) -> str:
        item = self.models.currentItem()
        return item.text() if item is not None and not item.isHidden() else ""

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        first_shown = None
        for row in range(self.models.count()):
            item = self.models.item(row)
            item.setHidden(not all(word in item.text() for word in words))
            if first_shown is None and not item.isHidden():
                first_shown = item
        current = self.models.currentItem()
        if (current is None or current.isHidden()) and first_shown is not None:
            self.models.setCurrentItem(first_shown)
        self.import_button.setEnabled(bool(self.model_name) and not self.running)

    def _model_chosen(self, name: str) -> None:
        if not name:
            return
        for spin in self.size.spins:
            spin.blockSignals(True)
        self.size.set_value(importer.default_input_shape(name))
        for spin in self.size.spins:
            spin.blockSignals(False)
        self._check()

    def _check(self) -> None:
        """Whether the chosen model imports at this size: built on the meta device (no weights) off the
        GUI thread, and remembered."""
        name, shape = self.model_name, self.size.value()
        if not name:
            return
        self._ticket += 1
        ticket, key = self._ticket, (name, shape)
        if key in self._checked:
            self._show_check(*self._checked[key])
            return
        self._show_check("", f"Checking whether {name} imports…")

        def answer(ok: bool, text: str) -> None:
            self._checked[key] = ("ok" if ok else "error", text)
            if not self._closed and ticket == self._ticket:
                self._show_check(*self._checked[key])

        def checked(result: ImportResult) -> None:
            answer(True, f"✓ {name} can be imported: {result.counts()}")

        def failed(error: BaseException) -> None:
            kinds = Counter(item.name for item in getattr(error, "unsupported", []))
            if kinds:
                listed = ", ".join(f"{kind} ×{count}" if count > 1 else kind for kind, count in kinds.most_common(4))
                more = " …" if len(kinds) > 4 else ""
                answer(False, f"✗ {name} cannot be imported: no block for {listed}{more}")
            else:
                answer(False, f"✗ {error.summary if isinstance(error, ModelImportError) else error}")

        self.jobs.run(lambda: importer.check_torchvision(name, shape), checked, failed)

    def _show_check(self, severity: str, text: str) -> None:
        self.check_label.setText(text)
        set_style_property(self.check_label, "severity", severity)

    def start(self) -> None:
        name, shape = self.model_name, self.size.value()
        if name:
            self.run_import(lambda: importer.import_torchvision(name, shape), name, f"torchvision {name}")


class PythonImportDialog(ImportDialog):
    """A Python file and one of its nn.Module classes (listed once the file is picked)."""

    def __init__(self, jobs: BackgroundJobs, weights_folder: Path, folder: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__("Import from a Python File", jobs, weights_folder, parent)
        self.setObjectName("pythonImportDialog")
        self.folder = folder
        self._ticket = 0
        self.file_edit = QLineEdit()
        self.file_edit.setObjectName("pythonFile")
        self.file_edit.setAccessibleName("Python file")
        self.file_edit.setPlaceholderText("a .py file defining an nn.Module")
        browse = QPushButton("Browse…")
        browse.setObjectName("browsePython")
        browse.clicked.connect(self._browse)
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        self.class_combo = QComboBox()
        self.class_combo.setObjectName("classCombo")
        self.class_combo.setMinimumContentsLength(24)
        self.size = SizeFields()
        warning = QLabel("The file is run to define its classes, as <code>python FILE</code> would: import only "
                         "files you trust. Its network must build without arguments.")
        warning.setObjectName("muted")
        warning.setWordWrap(True)
        self.form.addRow("File", file_row)
        self.form.addRow("Class", self.class_combo)
        self.form.addRow("Input", self.size)
        self.form.addRow(warning)
        self.inputs += [file_row, self.class_combo, self.size]
        self.file_edit.editingFinished.connect(self._list_classes)
        self.import_button.setEnabled(False)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import from a Python file", str(self.folder), PYTHON_FILTER)
        if path:
            self.set_file(path)

    def set_file(self, path: str | Path) -> None:
        """Chooses the file and lists its nn.Module classes (running it, off the GUI thread)."""
        self.file_edit.setText(str(path))
        self._list_classes()

    def _list_classes(self) -> None:
        path = self.file_edit.text().strip()
        self.class_combo.clear()
        self.import_button.setEnabled(False)
        if not path:
            return
        self._ticket += 1
        ticket = self._ticket
        self.status.setText(f"Reading {Path(path).name}…")

        def listed(names: list[str]) -> None:
            if self._closed or ticket != self._ticket:
                return
            self.class_combo.addItems(names)
            self.class_combo.setCurrentIndex(len(names) - 1)  # the network is usually defined last
            self.import_button.setEnabled(bool(names))
            self.status.setText("" if names else f"{Path(path).name} defines no nn.Module class.")

        def failed(error: BaseException) -> None:
            if not self._closed and ticket == self._ticket:
                self.status.setText(str(error))

        self.jobs.run(lambda: importer.module_classes(path), listed, failed)

    def start(self) -> None:
        path, class_name, shape = self.file_edit.text().strip(), self.class_combo.currentText(), self.size.value()
        if path and class_name:
            self.run_import(lambda: importer.import_python_file(path, class_name, shape), class_name,
                            f"{class_name} in {Path(path).name}")


class SavedFileImportDialog(ImportDialog):
    """A ConvCanvas checkpoint or TorchScript export: imported as soon as it is chosen."""

    def __init__(self, jobs: BackgroundJobs, weights_folder: Path, path: str | Path,
                 parent: QWidget | None = None) -> None:
        super().__init__("Import Checkpoint or TorchScript", jobs, weights_folder, parent)
        self.setObjectName("savedFileImportDialog")
        self.path = Path(path)
        file_label = QLabel(str(self.path))
        file_label.setObjectName("savedFile")
        file_label.setWordWrap(True)
        about = QLabel("A checkpoint saved by training, or a TorchScript file exported by ConvCanvas: its network "
                       "opens as a new project, and training starts from its weights.")
        about.setObjectName("muted")
        about.setWordWrap(True)
        self.form.addRow("File", file_label)
        self.form.addRow(about)

    def start(self) -> None:
        path = self.path
        self.run_import(lambda: importer.import_file(path), path.name, path.name)


class OnnxImportDialog(ImportDialog):
    """An ONNX file (from any framework): imported at its own input size, or at one chosen when the file's
    size varies. The file is read as data; nothing in it runs."""

    def __init__(self, jobs: BackgroundJobs, weights_folder: Path, path: str | Path,
                 parent: QWidget | None = None) -> None:
        super().__init__("Import ONNX Model", jobs, weights_folder, parent)
        self.setObjectName("onnxImportDialog")
        self.path = Path(path)
        file_label = QLabel(str(self.path))
        file_label.setObjectName("onnxFile")
        file_label.setWordWrap(True)
        self.own_size = QCheckBox("Use the model's own input size")
        self.own_size.setObjectName("onnxOwnSize")
        self.own_size.setChecked(True)
        self.size = SizeFields()
        self.size.setEnabled(False)
        self.own_size.toggled.connect(lambda own: self.size.setEnabled(not own))
        about = QLabel("Its operators become blocks and its weights come with them; the result is checked "
                       "against onnxruntime. Choose a size when the model's varies.")
        about.setObjectName("muted")
        about.setWordWrap(True)
        self.form.addRow("File", file_label)
        self.form.addRow("", self.own_size)
        self.form.addRow("Input", self.size)
        self.form.addRow(about)
        self.inputs += [self.own_size, self.size]

    def start(self) -> None:
        path = self.path
        shape = None if self.own_size.isChecked() else self.size.value()
        self.run_import(lambda: importer.import_onnx(path, shape), path.name, path.name)


class ModelImporter(QObject):
    """The File ▸ Import actions of a main window, and opening what they import."""

    def __init__(self, window, jobs: BackgroundJobs) -> None:
        super().__init__(window)
        self.window, self.jobs = window, jobs
        self.weights_folder = imported_weights_folder()
        self.dialog: ImportDialog | None = None
        self.torchvision_action = self._action("&torchvision Model…", self.show_torchvision_dialog,
                                               "Import a model of torchvision's zoo (ResNet, VGG, …) as a network")
        self.python_action = self._action("&Python File…", self.show_python_dialog,
                                          "Import an nn.Module class from a Python file (the file is run)")
        self.saved_action = self._action("&Checkpoint or TorchScript…", self.choose_saved_file,
                                         "Import a ConvCanvas checkpoint or TorchScript export as an editable network")
        self.onnx_action = self._action("&ONNX Model…", self.choose_onnx_file,
                                        "Import an ONNX model (from PyTorch, Keras, MATLAB…) as an editable network")

    def _action(self, text: str, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    @property
    def actions(self) -> list[QAction]:
        return [self.torchvision_action, self.python_action, self.saved_action, self.onnx_action]

    def _show(self, make: Callable[[], ImportDialog]) -> ImportDialog | None:
        if not self.window.maybe_save():  # like File ▸ Open: the import replaces the current project
            return None
        wait_for_torch_warm_up()  # building a dialog imports torchvision: never beside the warm-up
        return self._open(make())

    def _open(self, dialog: ImportDialog) -> ImportDialog:
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(self.open_result)
        dialog.open()
        return dialog

    def show_torchvision_dialog(self) -> ImportDialog | None:
        return self._show(lambda: TorchvisionImportDialog(self.jobs, self.weights_folder, self.window))

    def show_python_dialog(self) -> ImportDialog | None:
        return self._show(lambda: PythonImportDialog(self.jobs, self.weights_folder,
                                                     self.window._last_folder(), self.window))

    def choose_saved_file(self) -> ImportDialog | None:
        if not self.window.maybe_save():
            return None
        path, _ = QFileDialog.getOpenFileName(self.window, "Import checkpoint or TorchScript",
                                              str(self.window._last_folder()), SAVED_FILTER)
        return self.import_saved_file(path) if path else None

    def import_saved_file(self, path: str | Path) -> ImportDialog:
        """Imports a checkpoint or TorchScript file at once, showing its progress (the caller has asked
        about unsaved changes)."""
        wait_for_torch_warm_up()
        dialog = self._open(SavedFileImportDialog(self.jobs, self.weights_folder, path, self.window))
        dialog.start()
        return dialog

    def choose_onnx_file(self) -> ImportDialog | None:
        if not self.window.maybe_save():
            return None
        path, _ = QFileDialog.getOpenFileName(self.window, "Import ONNX model", str(self.window._last_folder()),
                                              ONNX_FILTER)
        return self.show_onnx_dialog(path) if path else None

    def show_onnx_dialog(self, path: str | Path) -> ImportDialog:
        """The ONNX import dialog for ``path``, Import focused (the caller has asked about unsaved changes)."""
        wait_for_torch_warm_up()
        dialog = self._open(OnnxImportDialog(self.jobs, self.weights_folder, path, self.window))
        dialog.import_button.setFocus()
        return dialog

    def open_result(self, result: ImportResult) -> None:
        """Opens the imported network as a new, unsaved document."""
        window = self.window
        if window.document.read_only:
            window.statusBar().showMessage("Stop training before opening another network.", 8000)
            return
        window.document.new_project(result.project)
        window.document.undo_stack.resetClean()  # never saved: closing asks to save it
        window.recovery.clear()
        if result.random_weights:
            weights = "fresh weights (Model ▸ Load Pretrained Weights… gets trained ones)"
        elif result.project.weights:
            weights = "training starts from its weights"
        else:
            weights = "no weights"
        notes = "".join(f"; {note}" for note in result.notes)
        window.statusBar().showMessage(f"Imported {result.summary(block_types=False)}; {weights}{notes}", 15000)
